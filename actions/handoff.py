"""Handing a conversation to a person (PRODUCT.md 3.8): queue it for the agents with what the bot
knows, tell the person who answers and when; outside office hours, a callback request.

From then on the channels pass the person's messages to the agents instead of to the bot
(bot/handoff.py), until the agent gives the conversation back; the tracker is untouched
meanwhile, so the bot continues with the conversation's state intact.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from clients import HandoffClient, ServiceUnavailable, VerificationClient
from clients.http import Refused
from core.contact import contact_lines
from core.formatting import vietnam_now
from core.handoff import LEAVE_QUEUE, OfficeHours, callback_reply, queued_reply
from core.settings import get_settings

# Slots worth an agent's glance (never the tokens that stand for typed numbers).
SUMMARY_SLOTS = (
    "beneficiary_group", "disability_level", "eligibility_facts", "eligibility_context", "month", "commune",
    "provider", "pending_goal",
)  # fmt: skip
LAST_INTENTS = 5
BUSY = (
    "Dạ, cháu chưa chuyển được sang tổng đài viên lúc này. Bác thử lại sau ít phút, "
    "hoặc liên hệ cán bộ chính sách ở UBND xã/phường nơi cư trú nhé."
)


def last_intents(tracker: Tracker) -> list[dict[str, Any]]:
    """The person's last intents with their confidence, newest last."""
    found = []
    for event in tracker.events:
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            if intent.get("name"):
                found.append({"intent": intent["name"], "confidence": round(float(intent.get("confidence") or 0), 2)})
    return found[-LAST_INTENTS:]


async def summary_of(tracker: Tracker, person: Any) -> dict[str, Any]:
    """What the bot knows, for the agent: subject, facts, verification state, last intents."""
    facts = {name: tracker.get_slot(name) for name in SUMMARY_SLOTS if tracker.get_slot(name) not in (None, "", [])}
    context = tracker.get_slot("eligibility_context")
    return {
        "subject": context.get("about") if isinstance(context, dict) else None,
        "facts": facts,
        "verified": bool(person),
        "person": {
            "name": person.full_name, "commune": person.commune, "province": person.province,
            "group_code": person.group_code, "cccd_last4": person.cccd_last4,
        } if person else None,
        "last_intents": last_intents(tracker),
    }  # fmt: skip


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[dict[str, Any]]:
    """Queue the conversation and tell the person; shared by the request and the second failed understanding."""
    settings = get_settings()
    hotline = settings.agent_hotline or contact_lines()["phone"] or ""  # the call centre's own, else contacts.yaml
    hours = OfficeHours.parse(settings.agent_hours, settings.agent_days)
    in_hours = hours.open_at(vietnam_now())
    try:
        person = await VerificationClient().person(tracker.sender_id)
    except ServiceUnavailable:
        person = None
    try:
        queued = await HandoffClient().open(
            tracker.sender_id, reason=reason, callback=not in_hours, summary=await summary_of(tracker, person)
        )
    except (ServiceUnavailable, Refused):
        dispatcher.utter_message(text=BUSY)
        return []
    if in_hours:
        text = queued_reply(
            int(queued.get("ahead") or 0), settings.agent_minutes_per_person, hours, hotline
        )
    else:
        text = callback_reply(person.phone_last4 if person else "", hours, hotline)
    # The channel reads `handoff` (never shown) to tell an outside helpdesk; the person reads the text.
    dispatcher.utter_message(text=text, buttons=[LEAVE_QUEUE], json_message={"handoff": queued["id"]})
    events: list[dict[str, Any]] = [SlotSet("fallback_count", None)]
    if tracker.active_loop.get("name"):  # a form under way stops asking: the agent answers now (its slots stay)
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    return events


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        return await hand_over(dispatcher, tracker, "asked")
