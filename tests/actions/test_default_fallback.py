"""Our `action_default_fallback`: a turn already answered is kept; one with no answer is reverted as
Rasa's own does. (Through the whole stack: "Thử lại" then "xong" in
tests/conversations/test_identity_accounts_payments.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDefaultFallback


def run(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tracker = Tracker.from_dict({"sender_id": "rest:fb", "slots": {}, "events": events, "latest_message": {}})
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionDefaultFallback().run(dispatcher, tracker, {}))
    assert dispatcher.messages == [], "it says nothing itself"
    return result


USER = {"event": "user", "text": "thử lại"}
BOT = {"event": "bot", "text": "Dạ, thông tin khớp rồi ạ. Bước cuối: …"}
ACTION = {"event": "action", "name": "action_verify_identity"}
APPROVAL = {"event": "slot", "name": "approval_id", "value": "abc"}


@pytest.mark.parametrize(
    "events",
    [[USER, ACTION, BOT, APPROVAL], [BOT, USER, ACTION, BOT]],
)
def test_an_answered_turn_is_kept_and_the_bot_listens(events: list[dict[str, Any]]) -> None:
    assert run(events) == [{"event": "followup", "name": "action_listen", "timestamp": None}]


@pytest.mark.parametrize("events", [[USER], [BOT, USER, ACTION], []])
def test_a_turn_with_no_answer_is_reverted_as_rasa_does(events: list[dict[str, Any]]) -> None:
    assert [event["event"] for event in run(events)] == ["rewind"]
