"""Two-stage fallback (PRODUCT.md 3.11): when the message is not understood, offer the likeliest
meanings as buttons; when that happens twice in a row, hand the conversation to a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import hand_over

MAX_CHOICES = 3

# What a person reads for each intent worth offering; intents missing here (greet, affirm, inform...)
# are never offered, because a button "Chào hỏi" helps nobody.
INTENT_LABELS = {
    "check_eligibility": "Xem mình được trợ cấp gì",
    "ask_benefit_amount": "Hỏi mức trợ cấp",
    "payment_schedule": "Lịch chi trả ở xã",
    "check_payment": "Tiền tháng này về chưa",
    "report_missing_payment": "Chưa nhận được tiền",
    "link_account": "Liên kết tài khoản",
    "change_account": "Đổi tài khoản nhận tiền",
    "check_link_status": "Liên kết xong chưa",
    "verify_identity": "Xác thực danh tính",
    "help_relative": "Giúp người thân",
    "report_scam": "Phòng lừa đảo",
    "request_human": "Gặp tổng đài viên",
    "subscribe_notifications": "Nhận tin báo tiền về",
    "unsubscribe_notifications": "Tắt tin báo",
    "help": "Xem cháu giúp được gì",
}
DEFAULT_CHOICES = ("check_eligibility", "payment_schedule", "help")


def likely_intents(ranking: list[dict[str, Any]]) -> list[str]:
    """The top intents of the NLU ranking that have a label, best first, at most MAX_CHOICES."""
    names = [item.get("name") for item in ranking if item.get("name") in INTENT_LABELS]
    return list(dict.fromkeys([*names[:MAX_CHOICES], *DEFAULT_CHOICES]))[: max(2, min(len(names), MAX_CHOICES))]


def previous_intent(tracker: Tracker) -> str | None:
    """The intent of the user message before the latest one."""
    users = [event for event in tracker.events if event.get("event") == "user"]
    if len(users) < 2:
        return None
    return (users[-2].get("parse_data") or {}).get("intent", {}).get("name")


class ActionClarifyIntent(Action):
    def name(self) -> str:
        return "action_clarify_intent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        in_a_row = previous_intent(tracker) == "nlu_fallback" and (tracker.get_slot("fallback_count") or 0) >= 1
        count = (tracker.get_slot("fallback_count") or 0) + 1 if in_a_row else 1
        if count >= 2:  # two failed understandings in a row: a person takes over (PRODUCT.md 3.8)
            dispatcher.utter_message(text="Dạ, cháu vẫn chưa hiểu ý Bác, cháu nhờ tổng đài viên giúp Bác nhé.")
            return await hand_over(dispatcher, tracker, "not_understood")
        else:
            intents = likely_intents(tracker.latest_message.get("intent_ranking") or [])
            buttons = [
                {"title": f"{index}. {INTENT_LABELS[name]}", "payload": f"/{name}"}
                for index, name in enumerate(intents, start=1)
            ]
            dispatcher.utter_message(
                text="Dạ, cháu chưa hiểu rõ. Có phải Bác muốn hỏi một trong các việc này không ạ?", buttons=buttons
            )
        return [SlotSet("fallback_count", float(count))]
