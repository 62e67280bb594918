"""Payment messages on or off (PRODUCT.md 3.6); the notifier (bot/notifier.py) sends them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.busy import answers_busy
from actions.common.gate import verified_person
from actions.family import ended_message, refuse_view_only
from clients import PaymentClient, Refused

PUSH_CHANNELS = ("tg:", "zalo:")  # chat apps a message can be pushed to; a closed web page cannot


class ActionSubscribeNotifications(Action):
    def name(self) -> str:
        return "action_subscribe_notifications"

    @answers_busy()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if not tracker.sender_id.startswith(PUSH_CHANNELS):
            dispatcher.utter_message(response="utter_notifications_chat_app_only")
            return []
        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return events
        subject = person.subject  # a helper subscribes to the messages of the person they look at now
        if refuse_view_only(dispatcher, subject):
            return []
        try:
            await PaymentClient().subscribe(tracker.sender_id, subject.beneficiary_id)
        except Refused:
            ended_message(dispatcher, subject.named)
            return []
        if subject.relation is not None:
            dispatcher.utter_message(
                text=f"Dạ, khi tiền của {subject.named} vào tài khoản hoặc chuyển chưa được, cháu sẽ nhắn vào đây. "
                'Bác nhắn "tắt thông báo" khi không cần nữa.'
            )
            return []
        dispatcher.utter_message(response="utter_notifications_on")
        return []


class ActionUnsubscribeNotifications(Action):
    def name(self) -> str:
        return "action_unsubscribe_notifications"

    @answers_busy()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        await PaymentClient().unsubscribe(tracker.sender_id)
        dispatcher.utter_message(response="utter_notifications_off")
        return []
