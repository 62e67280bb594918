"""A stack that one request, one slow part or one dead process cannot stop: every failure gets the
kind Vietnamese "busy" reply in a few seconds, the others keep serving, and what died comes back."""

from __future__ import annotations

import re

import pytest

from bot.channels.guard import REPLIES
from tests.conversations.conftest import Chat
from tests.security.conftest import elapsed, events_table_renamed, kill_and_wait, logs_text, pid, stopped

pytestmark = pytest.mark.stack


def test_a_tracker_store_that_fails_is_answered_and_the_conversation_goes_on(stack: Chat) -> None:
    assert "xã hoặc phường nào" in stack.say("store-down", "lịch chi trả")
    rasa = pid(stack, "rasa")
    with events_table_renamed(stack):
        assert stack.say("store-down", "Tân Phú") == REPLIES["busy"]
        assert stack.say("store-down-2", "xin chào") == REPLIES["busy"]
    assert pid(stack, "rasa") == rasa and stack.process("rasa").poll() is None, "Rasa did not exit"
    assert "Xã Tân Phú (Long An)" in stack.say("store-down", "Tân Phú"), "the question asked before is still open"
    assert "tracker store failed: " in logs_text(stack)["rasa.log"]


def test_a_hung_action_server_gets_the_vietnamese_busy_reply_and_releases_the_conversation(stack: Chat) -> None:
    timeout = stack.stack.settings.turn_timeout_s
    with stopped(stack, "actions"):
        reply, took = elapsed(stack.post, "hung-actions", "lịch chi trả")
    assert reply == [{"recipient_id": "hung-actions", "text": REPLIES["busy"]}]
    assert timeout - 1 <= took < timeout + 5, f"answered after {took:.1f} s"
    # The conversation's lock was released: the next message is answered at once, by the actions.
    assert "xã hoặc phường nào" in stack.say("hung-actions", "lịch chi trả")


def test_a_hung_service_costs_one_timeout_per_turn_not_three(stack: Chat) -> None:
    timeout = stack.stack.settings.service_timeout_s
    assert "xã hoặc phường nào" in stack.say("hung-services", "lịch chi trả")
    before = logs_text(stack)["actions.log"].count("failed (attempt")
    with stopped(stack, "services"):
        reply, took = elapsed(stack.say, "hung-services", "Tân Phú")
    assert "hệ thống đang bận" in reply
    attempts = re.findall(r"failed \(attempt (\d)\)", logs_text(stack)["actions.log"])[before:]
    assert attempts and set(attempts) == {"1"}, "a call that timed out is not tried again"
    assert took < len(attempts) * timeout + 2, f"answered after {took:.1f} s, {len(attempts)} timed-out calls"
    assert "Xã Tân Phú (Long An)" in stack.say("hung-services", "lịch chi trả")


@pytest.mark.parametrize("name", ["actions", "services"])
def test_a_killed_process_is_started_again_and_the_conversation_continues(stack: Chat, name: str) -> None:
    assert "xã hoặc phường nào" in stack.say(f"killed-{name}", "lịch chi trả")
    others = {other: pid(stack, other) for other in ("rasa", "actions", "services") if other != name}
    kill_and_wait(stack, name)
    assert {other: pid(stack, other) for other in others} == others, "the others kept serving"
    assert "Xã Tân Phú (Long An)" in stack.say(f"killed-{name}", "Tân Phú")


def test_a_killed_rasa_comes_back_with_the_conversation(chat: Chat) -> None:
    """Rasa itself (once, on SQLite: it takes a minute to load): the conversation is in the tracker store."""
    assert "xã hoặc phường nào" in chat.say("killed-rasa", "lịch chi trả")
    kill_and_wait(chat, "rasa")
    assert "Xã Tân Phú (Long An)" in chat.say("killed-rasa", "Tân Phú")
    assert any("rasa started again" in event for event in chat.stack.events)
