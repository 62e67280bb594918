"""Two Rasa servers' button memories sharing one Redis (STATE_REDIS_URL): what one showed, the other resolves."""

from __future__ import annotations

import uuid

import pytest

import bot.state
from bot.channels.guard import ButtonMemory

REDIS_URL = "redis://127.0.0.1:6379/6"
MENU = [{"buttons": [{"title": "1. Xác thực", "payload": "/verify"}, {"title": "2. Tiền", "payload": "/pay"}]}]


@pytest.fixture
def redis_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_REDIS_URL", REDIS_URL)
    monkeypatch.setattr(bot.state, "_SHARED", {})  # a store opened with these settings


async def test_a_number_typed_to_the_other_server_picks_the_shown_button(redis_state: None) -> None:
    sender = f"rest:{uuid.uuid4().hex}"
    first, second = ButtonMemory(shared=True), ButtonMemory(shared=True)
    await first.load(sender)
    first.remember(sender, MENU)
    await first.save(sender)
    await second.load(sender)
    assert second.resolve(sender, "2") == "/pay"
    assert second.resolve(sender, "/verify") == "/verify"  # offered, so accepted as a command
    assert second.out_of_range(sender, "5")
    second.remember(sender, [{"text": "Dạ, Bác gõ họ và tên."}])  # no buttons: numbers are text again
    await second.save(sender)
    await first.load(sender)
    assert first.resolve(sender, "2") == "2"


async def test_not_shared_servers_do_not_see_each_other(redis_state: None) -> None:
    sender = f"rest:{uuid.uuid4().hex}"
    first, second = ButtonMemory(), ButtonMemory()
    first.remember(sender, MENU)
    await first.save(sender)
    await second.load(sender)
    assert second.resolve(sender, "2") == "2"


async def test_redis_down_keeps_this_servers_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(bot.state, "_SHARED", {})
    memory = ButtonMemory(shared=True)
    memory.remember("rest:x", MENU)
    await memory.save("rest:x")  # logged, not raised
    await memory.load("rest:x")
    assert memory.resolve("rest:x", "1") == "/verify"
