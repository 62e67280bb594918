"""What the web chat shows again after a reload: the stored events of the current session as bubbles."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.transcript import CHOICE, SECRET_REMOVED, current_session, open_buttons, transcript

MENU = [{"title": "1. Mức trợ cấp", "payload": "/ask_benefit_amount"},
        {"title": "2. Lịch chi trả", "payload": "/payment_schedule"}]  # fmt: skip
NOW = 1_000_000.0
HOUR = 3600.0


def user(text: str, at: float = NOW, **metadata: Any) -> dict[str, Any]:
    return {"event": "user", "text": text, "timestamp": at, "metadata": metadata or None}


def bot(text: str, buttons: list[dict[str, str]] | None = None, at: float = NOW) -> dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": at, "data": {"buttons": buttons}}


def shown(events: list[dict[str, Any]], first: list[dict[str, str]] | None = None) -> list[tuple[str, str]]:
    return [(line.who, line.text) for line in transcript(events, NOW, HOUR, first)]


def test_a_conversation_reads_as_the_person_saw_it() -> None:
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": NOW},
        {"event": "session_started", "timestamp": NOW},
        user("/payment_schedule"),  # a tap on the first screen's menu
        bot("Bác ở xã/phường nào ạ?"),
        user("Tân Phú"),
        {"event": "slot", "name": "commune", "value": "Tân Phú", "timestamp": NOW},
        bot("Lịch chi trả tháng này: ngày 10.", [{"title": "1. Xem tiền tháng này", "payload": "/check_payment"}]),
        user("/check_payment"),  # typed "1": the channel sent the button's payload
        bot("Dạ, Bác cần xác thực trước ạ."),
    ]
    assert shown(events, MENU) == [
        ("me", "2. Lịch chi trả"),
        ("bot", "Bác ở xã/phường nào ạ?"),
        ("me", "Tân Phú"),
        ("bot", "Lịch chi trả tháng này: ngày 10."),
        ("me", "1. Xem tiền tháng này"),
        ("bot", "Dạ, Bác cần xác thực trước ạ."),
    ]


@pytest.mark.parametrize(
    ("event", "reads"),
    [
        (user("/restart", ending="logout"), "Đăng xuất"),
        (user("/restart", ending="restart"), "Bắt đầu lại"),
        (user("/report_scam"), SECRET_REMOVED),  # a volunteered OTP never reached the store
        (user('/inform{"x": 1}'), CHOICE),  # a payload of no known button: never shown as such
        (user("[đã ẩn]"), "[đã ẩn]"),  # an identity answer, hidden by the store
    ],
)
def test_commands_read_as_words_never_as_internal_names(event: dict[str, Any], reads: str) -> None:
    assert shown([bot("Bác chọn ạ", MENU), event])[-1] == ("me", reads)


def test_a_payload_is_named_by_the_buttons_of_the_answer_it_followed_only() -> None:
    events = [bot("Menu", MENU), user("/ask_benefit_amount"), bot("Nhóm nào ạ?"), user("/payment_schedule")]
    assert shown(events)[-1] == ("me", CHOICE), "the menu's button was not on the last answer"


def test_a_restart_keeps_only_its_own_reply_and_what_follows() -> None:
    events = [
        user("tháng này đã có tiền chưa"), bot("Dạ, tiền tháng 11 của Bác Bình đã về ****0001."),
        user("/restart", ending="logout"), {"event": "action", "name": "action_restart", "timestamp": NOW},
        bot("Dạ, cháu đã kết thúc phiên làm việc."), {"event": "restart", "timestamp": NOW},
    ]  # fmt: skip
    assert shown(events) == [("bot", "Dạ, cháu đã kết thúc phiên làm việc.")]
    assert shown([*events, {"event": "session_started", "timestamp": NOW}, user("menu")]) == [("me", "menu")]


def test_an_idle_conversation_is_over_and_shows_nothing() -> None:
    events = [user("menu", at=NOW - 2 * HOUR), bot("Bác chọn ạ", MENU, at=NOW - 2 * HOUR + 1)]
    assert transcript(events, NOW, HOUR) == []
    assert len(transcript(events, NOW - HOUR, HOUR)) == 2


def test_only_the_last_answer_s_buttons_are_still_open() -> None:
    answered = transcript([bot("Menu", MENU), user("/payment_schedule"), bot("Xã nào ạ?")], NOW, HOUR)
    assert open_buttons(answered) == []
    waiting = transcript([user("menu"), bot("Bác chọn:"), bot("", MENU)], NOW, HOUR)
    assert open_buttons(waiting) == MENU
    assert waiting[-1].as_dict() == {"from": "bot", "text": "", "buttons": MENU}


def test_session_start_cuts_what_came_before() -> None:
    assert current_session([user("a"), {"event": "session_started"}, user("b")]) == [user("b")]

