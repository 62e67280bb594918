"""The parts both adapters share: turn order per person, repeated deliveries, menus as text, redaction."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import bot.state
from bot.channels.adapter import Redact, TurnLocks, first_delivery, menu_text


async def test_turns_of_one_person_keep_their_order_and_others_do_not_wait() -> None:
    locks, order = TurnLocks(), []

    async def turn(person: str, label: str, seconds: float) -> None:
        async with locks.hold(person):
            await asyncio.sleep(seconds)
            order.append(label)

    await asyncio.gather(turn("a", "a1", 0.05), turn("a", "a2", 0.0), turn("b", "b1", 0.0))
    assert order == ["b1", "a1", "a2"]
    assert len(locks) == 0, "no lock is kept once a person's turns are done"


async def test_repeated_deliveries_are_recognised_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATE_DB_PATH", str(tmp_path / "state.db"))
    monkeypatch.delenv("STATE_REDIS_URL", raising=False)
    bot.state._SHARED.clear()
    assert await first_delivery("tg:1:update:42", 60) and not await first_delivery("tg:1:update:42", 60)
    for state in bot.state._SHARED.values():
        await state.close()
    bot.state._SHARED.clear()  # the adapter process starts again: a new connection to the same file
    assert not await first_delivery("tg:1:update:42", 60)
    assert await first_delivery("tg:1:update:43", 60)
    for state in bot.state._SHARED.values():
        await state.close()
    bot.state._SHARED.clear()


async def test_an_unreachable_state_lets_the_message_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_REDIS_URL", "redis://127.0.0.1:1/0")
    bot.state._SHARED.clear()
    assert await first_delivery("zalo:msg:1", 60) and await first_delivery("zalo:msg:1", 60)
    for state in bot.state._SHARED.values():
        await state.close()
    bot.state._SHARED.clear()


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
