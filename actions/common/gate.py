"""Personal data only for a verified person: every journey that shows it passes through here."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.busy import answers_busy
from clients import Person, VerificationClient


@answers_busy((None, []))
async def verified_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, goal: str
) -> tuple[Person | None, list[dict[str, Any]]]:
    """The person this conversation is verified as, or the events that start verification.

    The answer always comes from the verification service (sessions expire after 30 minutes
    idle there), never from a slot, so nothing typed into the conversation can stand in for it.
    `goal` is the action to resume once verified.
    """
    person = await VerificationClient().person(tracker.sender_id)
    if person is not None:
        return person, []
    dispatcher.utter_message(response="utter_verify_first")
    return None, [SlotSet("pending_goal", goal), FollowupAction("action_start_identity")]
