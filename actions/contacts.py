"""A human in reach (issue 13 §6): the hotline and the commune office with their hours, from
core/rules/contacts.yaml, said by one action so that the handoff work can replace it; and the FAQ
answers, enriched with what the conversation already knows (the hotline, the commune's cash day)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from core.rules import load_yaml


@lru_cache(maxsize=1)
def contacts() -> dict[str, Any]:
    return dict(load_yaml("contacts.yaml"))


def contact_lines() -> list[str]:
    """'Tổng đài hỗ trợ VNeID (Bộ Công an): 1900 0368 (mọi ngày).' and the commune office's hours."""
    data = contacts()
    lines = [f"{line['name']}: {line['number']} ({line['hours']})." for line in data.get("hotlines") or []]
    office = data.get("office") or {}
    if office:
        lines.append(f"Hoặc gặp {office['name']}, {office['hours']}.")
    return lines


class ActionHumanContact(Action):
    """ "Gặp tổng đài viên", "người thật", "số hotline": who to call and when."""

    def name(self) -> str:
        return "action_human_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="\n".join(["Dạ, Bác cần người giúp trực tiếp thì liên hệ:", *contact_lines()]))
        return []
