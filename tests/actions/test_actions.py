"""Actions against the running services (real HTTP, real database), and with the services down."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.benefits import ActionBenefitAmount
from actions.payments import ActionPaymentSchedule, ValidateScheduleForm, clean_commune
from clients import EligibilityClient, PaymentClient, ServiceUnavailable
from core.formatting import money


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
    assert "(chưa chắc chắn)" in messages[0]["text"]


async def test_group_without_a_table_gets_a_pointer_to_the_commune(services) -> None:
    messages, _ = await run(ActionBenefitAmount(), beneficiary_group="no_such_group")
    assert messages[0]["response"] == "utter_topic_not_covered"


async def test_every_row_of_a_group_is_listed(services) -> None:
    """The 80+ poor rate was cut off by a three-line limit; the funeral support had no table."""
    messages, _ = await run(ActionBenefitAmount(), beneficiary_group="elderly")
    assert f"{money(1_000_000)}/tháng" in messages[0]["text"]  # k5a from 80 (2,0)
    funeral = (await run(ActionBenefitAmount(), beneficiary_group="funeral"))[0][0]["text"]
    assert f"tối thiểu {money(10_000_000)} một lần" in funeral and "mức chưa xác định" in funeral


async def test_benefit_amount_when_service_is_down(services_down) -> None:
    messages, events = await run(ActionBenefitAmount(), beneficiary_group="elderly")
    assert messages[0]["response"] == "utter_service_busy"
    assert events == []  # the question is kept, nothing is lost


async def test_schedule_comes_from_the_database(services) -> None:
    messages, events = await run(ActionPaymentSchedule(), commune="tan phu")
    assert messages[0]["text"].startswith("Dạ, Xã Tân Phú (Long An): tiền vào tài khoản khoảng ngày 5")
    assert "Nhà văn hóa ấp 3" in messages[0]["text"]
    slots = {event["name"]: event["value"] for event in events}
    assert slots["commune"] is None and slots["known_commune"] == "Xã Tân Phú"  # kept for the next question


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
    from clients import Refused, VerificationClient
    from tests.services.verified import verify

    client = VerificationClient()
    token = await client.vault("tg:twice", "account", "5100200300001")
    with pytest.raises(Refused):  # not verified as Bình yet: the service refuses
        await client.request_link("tg:twice", 2, "AGRIBANK", token)
    await asyncio.to_thread(verify, services, 1, "tg:twice")
    first = await client.request_link("tg:twice", 2, "AGRIBANK", token)
    second = await client.request_link("tg:twice", 2, "AGRIBANK", token)
    assert first["id"] == second["id"]
    assert [link["id"] for link in await client.links(2, channel_user="tg:twice")].count(first["id"]) == 1


def test_refusal_reasons_are_explained_in_two_lines() -> None:
    from actions.accounts import refusal_lines
    from services.api.verification import REASON_CODES

    for code in REASON_CODES:
        lines = refusal_lines(code)
        assert len(lines) == 2 and all(line.endswith(".") for line in lines), code


def test_why_not_paid_table() -> None:
    from actions.payments import explain
    from clients import Schedule

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


def fallback_tracker(count: float | None, previous_intent: str) -> Tracker:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "payment_schedule", "confidence": 0.35},
        {"name": "greet", "confidence": 0.2},
        {"name": "check_payment", "confidence": 0.1},
        {"name": "link_account", "confidence": 0.05},
        {"name": "report_scam", "confidence": 0.01},
    ]
    latest = {"text": "tiền xã khi nào", "intent": {"name": "nlu_fallback"}, "intent_ranking": ranking}
    previous = {"text": "abc", "intent": {"name": previous_intent}}
    return Tracker.from_dict(
        {
            "sender_id": "test",
            "slots": {"fallback_count": count},
            "latest_message": latest,
            "events": [
                {"event": "user", "parse_data": previous},
                *([{"event": "action", "name": "action_clarify_intent"}] if previous_intent == "nlu_fallback" else []),
                {"event": "user", "parse_data": latest},
            ],
        }
    )


async def test_first_misunderstanding_offers_the_likeliest_meanings() -> None:
    from actions.fallback import ActionClarifyIntent

    dispatcher = CollectingDispatcher()
    events = await ActionClarifyIntent().run(dispatcher, fallback_tracker(None, "greet"), {})
    buttons = dispatcher.messages[0]["buttons"]
    titles = ["1. Lịch chi trả ở xã", "2. Tiền tháng này về chưa", "3. Liên kết tài khoản"]
    assert [b["title"] for b in buttons] == titles
    assert [b["payload"] for b in buttons] == ["/payment_schedule", "/check_payment", "/link_account"]
    assert events == [{"event": "slot", "timestamp": None, "name": "fallback_count", "value": 1.0}]


async def test_second_misunderstanding_in_a_row_hands_over_to_a_person(services, monkeypatch) -> None:
    from actions.fallback import ActionClarifyIntent

    monkeypatch.setenv("AGENT_HOURS", "off")
    monkeypatch.setenv("AGENT_DAYS", "0-6")
    dispatcher = CollectingDispatcher()
    events = await ActionClarifyIntent().run(dispatcher, fallback_tracker(1.0, "nlu_fallback"), {})
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    assert "chưa hiểu ý Bác" in texts[0] and "tổng đài viên sẽ trả lời" in texts[1]
    marker = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    queued = services.client("console").get(f"{services.url}/handoff/v1/conversations/{marker[0]['handoff']}").json()
    assert (queued["channel_user"], queued["reason"], queued["callback"]) == ("test", "not_understood", False)
    assert queued["summary"]["verified"] is False and queued["summary"]["last_intents"][-1]["intent"] == "nlu_fallback"
    assert events == [{"event": "slot", "timestamp": None, "name": "fallback_count", "value": None}]


async def test_outside_office_hours_a_verified_person_is_called_back_on_the_registry_phone(
    services, monkeypatch
) -> None:
    from actions.handoff import ActionHandoff
    from services.seed import PEOPLE
    from tests.services.verified import verify

    monkeypatch.setenv("AGENT_HOURS", "0-0")  # an office that never opens: always outside its hours
    monkeypatch.setenv("AGENT_DAYS", "6-6")
    verify(services, 1, "test")
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, fallback_tracker(None, "greet"), {})
    text = dispatcher.messages[0]["text"]
    assert "ngoài giờ làm việc" in text and f"số đuôi ****{PEOPLE[1].phone[-4:]}" in text
    assert PEOPLE[1].phone not in text
    assert "0:00–0:00, Chủ nhật" in text
    queued = services.client("console").get(f"{services.url}/handoff/v1/conversations").json()["conversations"]
    assert queued[-1]["callback"] is True and queued[-1]["summary"]["person"]["cccd_last4"] == PEOPLE[1].cccd[-4:]


async def test_handoff_with_the_service_down_says_so_kindly(services_down) -> None:
    from actions.handoff import BUSY, ActionHandoff

    dispatcher = CollectingDispatcher()
    assert await ActionHandoff().run(dispatcher, fallback_tracker(None, "greet"), {}) == []
    assert [m["text"] for m in dispatcher.messages] == [BUSY]


async def test_a_misunderstanding_after_an_understood_message_starts_again() -> None:
    from actions.fallback import ActionClarifyIntent

    dispatcher = CollectingDispatcher()
    events = await ActionClarifyIntent().run(dispatcher, fallback_tracker(3.0, "greet"), {})
    assert "tổng đài viên" not in dispatcher.messages[0]["text"] and events[0]["value"] == 1.0


@pytest.mark.parametrize(
    ("text", "person"),
    [("cho tôi hỏi mức trợ cấp", False), ("người khuyết tật đặc biệt nặng được bao nhiêu", False),
     ("thương binh 81% được bao nhiêu", False), ("tiền mai táng phí được bao nhiêu", False),
     ("mẹ tôi 85 tuổi mỗi tháng được bao nhiêu", True), ("tôi 75 tuổi được bao nhiêu", True),
     ("bố tôi vừa mất, được hỗ trợ mai táng bao nhiêu", True)],
)  # fmt: skip
def test_an_amount_question_about_a_person_becomes_a_pre_check(text: str, person: bool) -> None:
    from datetime import date

    from actions.benefits import about_someone
    from core.eligibility.understanding import understand

    assert about_someone(understand(text, date(2026, 1, 15))) is person
