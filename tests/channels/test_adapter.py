"""The parts both adapters share: turn order per person, repeated deliveries, menus as text, redaction."""

from __future__ import annotations

import asyncio
import logging

from bot.channels.adapter import RecentKeys, Redact, TurnLocks, menu_text


async def test_turns_of_one_person_keep_their_order_and_others_do_not_wait() -> None:
    locks, order = TurnLocks(), []

    async def turn(person: str, label: str, seconds: float) -> None:
        async with locks.hold(person):
            await asyncio.sleep(seconds)
            order.append(label)

    await asyncio.gather(turn("a", "a1", 0.05), turn("a", "a2", 0.0), turn("b", "b1", 0.0))
    assert order == ["b1", "a1", "a2"]
    assert len(locks) == 0, "no lock is kept once a person's turns are done"


def test_repeated_ids_are_recognised_within_a_bounded_memory() -> None:
    recent = RecentKeys(size=2)
    assert not recent.seen("m1") and recent.seen("m1")
    recent.seen("m2")
    recent.seen("m3")
    assert len(recent) == 2 and not recent.seen("m1")


def test_menu_as_numbered_text() -> None:
    message = {"text": "Bác chọn:", "buttons": [{"title": "1. Mức trợ cấp"}, {"title": "Lịch chi trả"}]}
    assert menu_text(message) == "Bác chọn:\n1. Mức trợ cấp\n2. Lịch chi trả"
    assert menu_text({"text": "  "}) == ""


def test_secrets_are_redacted_from_messages_and_tracebacks() -> None:
    try:
        raise ValueError("https://api.telegram.org/bot123:SECRET/getMe failed")
    except ValueError as error:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "token %s", ("123:SECRET",), (type(error), error,
                                   error.__traceback__))  # fmt: skip
    assert Redact(["123:SECRET", ""]).filter(record)
    assert record.getMessage() == "token [redacted]"
    assert "SECRET" not in (record.exc_text or "") and "[redacted]" in (record.exc_text or "")
