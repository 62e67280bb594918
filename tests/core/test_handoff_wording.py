"""Office hours and what a person is told when a human takes over (PRODUCT.md 3.8)."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.handoff import OfficeHours, callback_reply, expected_minutes, queued_reply

WEEKDAYS_7_17 = OfficeHours.parse((7, 17), "0-4")


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime(2026, 12, 1, 7, 0), True),  # Tuesday, opening time
        (datetime(2026, 12, 1, 16, 59), True),
        (datetime(2026, 12, 1, 17, 0), False),  # closing time
        (datetime(2026, 12, 1, 6, 59), False),
        (datetime(2026, 12, 5, 9, 0), False),  # Saturday
        (datetime(2026, 12, 6, 9, 0), False),  # Sunday
    ],
)
def test_office_hours(moment: datetime, open_: bool) -> None:
    assert WEEKDAYS_7_17.open_at(moment) is open_


def test_settings_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValueError, match="AGENT_DAYS"):
        OfficeHours.parse((7, 17), "5-1")
    assert OfficeHours.parse(None, "0-6").open_at(datetime(2026, 12, 6, 3, 0)), "hours off: always open"


@pytest.mark.parametrize(("ahead", "minutes"), [(0, 3), (1, 6), (4, 15)])
def test_expected_wait_counts_everyone_ahead(ahead: int, minutes: int) -> None:
    assert expected_minutes(ahead, 3) == minutes
    assert f"khoảng {minutes} phút" in queued_reply(ahead, 3, WEEKDAYS_7_17)


def test_queued_reply_says_who_answers_where_and_when() -> None:
    text = queued_reply(2, 3, WEEKDAYS_7_17)
    assert "2 người đang chờ trước Bác" in text and "trả lời ngay tại đây" in text
    assert "7:00–17:00, thứ Hai đến thứ Sáu" in text
    assert "người đang chờ" not in queued_reply(0, 3, WEEKDAYS_7_17)


def test_a_configured_hotline_is_said_with_every_handoff() -> None:
    assert "Cần gấp, Bác gọi tổng đài 1900 0000." in queued_reply(0, 3, WEEKDAYS_7_17, "1900 0000")
    assert "1900 0000" in callback_reply("", WEEKDAYS_7_17, "1900 0000")
    assert "Cần gấp" not in queued_reply(0, 3, WEEKDAYS_7_17)


def test_callback_uses_the_registry_phone_masked_or_asks_for_one() -> None:
    known = callback_reply("7920", WEEKDAYS_7_17)
    assert "ngoài giờ làm việc" in known and "số đuôi ****7920" in known
    assert "nhắn số điện thoại" in callback_reply("", WEEKDAYS_7_17)


def test_a_staff_ticket_names_its_login_for_a_minute_and_cannot_be_forged() -> None:
    from core.handoff import read_staff_ticket, staff_ticket

    ticket = staff_ticket("tongdaivien", "secret-of-the-console", 1_000.0)
    assert read_staff_ticket(ticket, "secret-of-the-console", 1_030.0) == "tongdaivien"
    assert read_staff_ticket(ticket, "secret-of-the-console", 1_061.0) is None, "expired"
    assert read_staff_ticket(ticket, "another-secret", 1_030.0) is None
    assert read_staff_ticket(ticket.replace("tongdaivien", "giamsat"), "secret-of-the-console", 1_030.0) is None
    assert read_staff_ticket(ticket, "", 1_030.0) is None and read_staff_ticket("", "s", 0) is None
