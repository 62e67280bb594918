"""Personal data kept small: after scripted conversations, no log file and no stored conversation
holds a full CCCD, phone or account number, a volunteered secret, a birth date or a conversation id."""

from __future__ import annotations

import re

import pytest

from services.seed import PEOPLE, account_of, cccd_of, phone_of, spare_account_of
from tests.conversations.conftest import Chat
from tests.security.conftest import logs_text, services_text, tracker_text, verify

pytestmark = pytest.mark.stack
SECRETS = ("mã OTP 483920", "ma otp cua toi la 615 204", "mật khẩu ngân hàng của tôi là abc123",
           "mat khau ngan hang la Tuyet2024", "mã PIN: 864213")  # fmt: skip
SECRET_VALUES = ("483920", "615 204", "615204", "abc123", "Tuyet2024", "864213")
SHORT_ACCOUNT = "7654321"  # 7 digits: a bank account the link form accepts (6-20), once stored in clear
# The services' own registry: it is where the full numbers live, by design (PRODUCT.md §5).
REGISTRY_TABLES = frozenset({"beneficiary", "provider_account", "payment", "commune_schedule", "alembic_version"})


@pytest.fixture(scope="module")
def scripted(stack: Chat) -> dict[str, list[str]]:
    """Conversations that hand over every kind of identifier and secret; what must never be kept."""
    an, binh = PEOPLE[0], PEOPLE[1]
    for secret in SECRETS:
        reply = stack.say("scan-secrets", secret)
        assert "đã xóa mã" in reply and "không bao giờ hỏi mã OTP" in reply, reply
    # In the middle of the identity form too: the warning, then the question the form was asking.
    stack.say("scan-secrets", "xác thực danh tính")
    stack.say("scan-secrets", "1")
    reply = stack.say("scan-secrets", SECRETS[0])
    assert "đã xóa mã" in reply and "không bao giờ hỏi mã OTP" in reply and "CCCD" in reply, reply
    stack.say("scan-secrets", "thôi")
    verify(stack, "scan-binh", 1)
    stack.say("scan-binh", "liên kết tài khoản agribank")
    stack.say("scan-binh", spare_account_of(1))
    stack.say("scan-binh", "đúng")
    stack.say("scan-binh", "liên kết tài khoản vietcombank")
    stack.say("scan-binh", SHORT_ACCOUNT)
    stack.say("scan-binh", "thôi")
    typed = f"số tài khoản của tôi là {SHORT_ACCOUNT}, sđt {phone_of(0, an)}, cccd {cccd_of(0, an)}"
    stack.say("scan-free-text", typed)
    stack.say("scan-free-text", f"còn số của bà là +84 {phone_of(1, binh)[1:4]} {phone_of(1, binh)[4:]}")
    verify(stack, "scan-web", 0, channel="webchat")
    return {
        "identifiers": [
            cccd_of(0, an), cccd_of(1, binh), phone_of(0, an), phone_of(1, binh), "84" + phone_of(1, binh)[1:],
            spare_account_of(1), account_of(0, an), SHORT_ACCOUNT,
        ],  # fmt: skip
        "secrets": list(SECRET_VALUES),
        "birth dates": [an.born.strftime("%d/%m/%Y"), binh.born.strftime("%d/%m/%Y"), an.born.isoformat(),
                        binh.born.isoformat()],  # fmt: skip
        "conversation ids": [stack.conversation_id(s) for s in ("scan-secrets", "scan-binh", "scan-free-text")]
        + [stack.conversation_id("scan-web", "webchat")],
    }


def found_in(text: str, scripted: dict[str, list[str]], kinds: tuple[str, ...]) -> list[str]:
    """The values held in `text` as whole numbers or words: "7654321" leaked, not the same digits inside or
    after the point of a stored timestamp or confidence. A run of CI stored a session's start at
    1796175148.7654321: ~5,000 events with 7-digit fractions hold the 7-digit test account now and then."""
    return [
        f"{kind}: {value}"
        for kind in kinds
        for value in scripted[kind]
        if re.search(rf"(?<![0-9])(?<![0-9]\.){re.escape(value)}(?![0-9])", text)
    ]


def test_a_number_is_found_whole_not_inside_other_digits() -> None:
    scripted = {"identifiers": ["7654321"]}
    assert found_in('{"text": "số tài khoản 7654321,"}', scripted, ("identifiers",)) == ["identifiers: 7654321"]
    assert found_in('"confidence": 0.99765432101, "timestamp": 1796647654321.5', scripted, ("identifiers",)) == []
    assert found_in('"timestamp": 1796175148.7654321, "x": 0.7654321}', scripted, ("identifiers",)) == []
    assert found_in("tài khoản: 7654321.", scripted, ("identifiers",)) == ["identifiers: 7654321"]


def test_the_conversation_store_keeps_no_identifier_secret_or_birth_date(stack: Chat, scripted) -> None:
    stored = tracker_text(stack)
    assert found_in(stored, scripted, ("identifiers", "secrets", "birth dates")) == []
    assert PEOPLE[1].name not in stored.replace(PEOPLE[1].name.upper(), ""), "the typed name is hidden"
    assert "****4321" in stored or "***4321" in stored, "masked, not dropped: the last 4 digits remain"


def test_the_logs_keep_no_identifier_secret_birth_date_or_conversation_id(stack: Chat, scripted) -> None:
    leaks = {name: found_in(text, scripted, ("identifiers", "secrets", "birth dates", "conversation ids"))
             for name, text in logs_text(stack).items() if name != "services.log"}  # fmt: skip
    assert {name: found for name, found in leaks.items() if found} == {}
    assert {"rasa.log", "actions.log"} <= set(leaks)


def test_the_services_keep_no_identifier_outside_their_registry(stack: Chat, scripted) -> None:
    tables = services_text(stack, skip=REGISTRY_TABLES)
    leaks = {name: found_in(text, scripted, ("identifiers", "secrets")) for name, text in tables.items()}
    leaks["services.log"] = found_in(logs_text(stack)["services.log"], scripted, ("identifiers", "secrets",
                                                                                   "conversation ids"))  # fmt: skip
    assert {name: found for name, found in leaks.items() if found} == {}
