"""Actions against the running services (real HTTP, real database), and with the services down."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.benefits import ActionBenefitAmount
from actions.common.clients import EligibilityClient, PaymentClient, ServiceUnavailable
from actions.payments import ActionPaymentSchedule, ValidateScheduleForm, clean_commune
from services.domain.formatting import money
from tests.conftest import free_port


def tracker(**slots: Any) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "test",
            "slots": slots,
            "latest_message": {"text": "", "intent": {}, "entities": []},
            "events": [],
        }
    )


async def run(action: Any, **slots: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(**slots), {})
    return dispatcher.messages, events


@pytest.fixture
def services_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Service URLs that nothing listens on."""
    port = free_port()
    for name in ("VERIFICATION_URL", "PAYMENT_URL", "ELIGIBILITY_URL"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}/x")


async def test_benefit_amount_comes_from_the_service(services) -> None:
    messages, events = await run(
        ActionBenefitAmount(), beneficiary_group="disability", disability_level="especially_severe"
    )
    text = messages[0]["text"]
    assert f"Người khuyết tật đặc biệt nặng: {money(1_000_000)}/tháng" in text
    assert "NĐ 20/2021/NĐ-CP" in text and "mẫu 1đ" in text and "UBND xã" in text
    assert {e["name"]: e["value"] for e in events} == {"beneficiary_group": None, "disability_level": None}


async def test_unconfirmed_amount_is_hedged(services) -> None:
    messages, _ = await run(ActionBenefitAmount(), beneficiary_group="social_pension")
    assert "(theo thông tin hiện có)" in messages[0]["text"]


async def test_group_without_a_table_gets_a_pointer_to_the_commune(services) -> None:
    messages, _ = await run(ActionBenefitAmount(), beneficiary_group="funeral")
    assert messages[0]["response"] == "utter_topic_not_covered"


async def test_benefit_amount_when_service_is_down(services_down) -> None:
    messages, events = await run(ActionBenefitAmount(), beneficiary_group="elderly")
    assert messages[0]["response"] == "utter_service_busy"
    assert events == []  # the question is kept, nothing is lost


async def test_schedule_comes_from_the_database(services) -> None:
    messages, events = await run(ActionPaymentSchedule(), commune="tan phu")
    assert messages[0]["text"].startswith("Xã Tân Phú (Long An): tiền vào tài khoản khoảng ngày 5")
    assert "Nhà văn hóa ấp 3" in messages[0]["text"]
    assert events[0]["value"] is None


async def test_unknown_commune(services) -> None:
    messages, _ = await run(ActionPaymentSchedule(), commune="Không Tồn Tại")
    assert messages[0]["response"] == "utter_schedule_not_found"


async def test_schedule_when_service_is_down_keeps_the_commune(services_down) -> None:
    messages, events = await run(ActionPaymentSchedule(), commune="Tân Phú")
    assert messages[0]["response"] == "utter_service_busy" and events == []


async def test_clients_raise_typed_errors(services_down) -> None:
    with pytest.raises(ServiceUnavailable):
        await PaymentClient(timeout_s=1).schedules("Tân Phú")
    with pytest.raises(ServiceUnavailable):
        await EligibilityClient(timeout_s=1).benefits("elderly", __import__("datetime").date(2026, 1, 1))


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("xã Tân Phú ạ", "Tân Phú"),
        ("o xa tan phu", "tan phu"),
        ("Phường Ba Đình", "Ba Đình"),
        ("123", None),
        ("!!!", None),
        ("a" * 200, None),
    ],
)
def test_clean_commune(typed: str, name: str | None) -> None:
    assert clean_commune(typed) == name


async def test_schedule_form_explains_a_bad_commune() -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateScheduleForm().validate_commune("12345", dispatcher, tracker(), {})
    assert result == {"commune": None} and "tên xã" in dispatcher.messages[0]["text"]


async def test_submitting_the_same_link_twice_creates_one_request(services) -> None:
    from actions.common.clients import VerificationClient

    client = VerificationClient()
    token = await client.vault("web:twice", "account", "5100200300001")
    first = await client.request_link("web:twice", 2, "AGRIBANK", token)
    second = await client.request_link("web:twice", 2, "AGRIBANK", token)
    assert first["id"] == second["id"]
    assert [link["id"] for link in await client.links(2)].count(first["id"]) == 1


def test_refusal_reasons_are_explained_in_two_lines() -> None:
    from actions.accounts import refusal_lines
    from services.api.verification import REASON_CODES

    for code in REASON_CODES:
        lines = refusal_lines(code)
        assert len(lines) == 2 and all(line.endswith(".") for line in lines), code


def test_why_not_paid_table() -> None:
    from actions.common.clients import Schedule
    from actions.payments import explain

    schedule = Schedule("Long An", "Xã Tân Phú", 5, 10, "Nhà văn hóa ấp 3")
    payment = {
        "period": "2026-11",
        "program": "BTXH",
        "amount_vnd": 500000,
        "status_date": "2026-11-02",
        "channel": "bank",
    }
    refused = {"status": "refused", "reason_code": "account_closed"}
    cases = {
        "listed": "khoảng ngày 5",
        "sent_to_bank": "chờ thêm ít hôm",
        "paid": "kiểm tra số dư",
        "failed": "Tài khoản này đã đóng",
        "returned": "kỳ chi trả sau",
        "cash_at_commune": "Nhà văn hóa ấp 3",
    }
    for status, expected in cases.items():
        text = "\n".join(explain("2026-11", {**payment, "status": status}, schedule, refused, "Agribank ****0001"))
        assert expected in text, status
    assert "tạm dừng" in "\n".join(explain("2026-11", {**payment, "status": "cash_at_commune"}, schedule, None, ""))
    assert "chưa có khoản chi trả" in explain("2026-11", None, schedule, None, "")[0]
