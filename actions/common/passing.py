"""A question asked where a form waits for an answer ("mà xã Tân Phú ngày mấy phát tiền?" while the bank
or a pre-check fact is asked): answered in passing, then the form asks its question again (issue 13 §4).

Used by the forms' validators for what their slot mappings take as text; the intents Rasa's rules
already interrupt with (request_human, report_scam, cancel) never reach them.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.faq import ActionFaq
from actions.payments import ActionScheduleInPassing

IN_PASSING_CONFIDENCE = 0.6


async def answered_in_passing(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> bool:
    """A question that is no answer to the pre-check's ("mà xã Tân Phú ngày mấy phát tiền?"): answered
    here; the form then asks its question again. False when the message is none of these."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    if float(intent.get("confidence") or 0) < IN_PASSING_CONFIDENCE:
        return False
    name = intent.get("name")
    if name == "payment_schedule":
        await ActionScheduleInPassing().run(dispatcher, tracker, domain)
        return True
    if name == "faq":
        await ActionFaq().run(dispatcher, tracker, domain)
        return True
    if name in ("check_payment", "report_missing_payment"):
        dispatcher.utter_message(text='Dạ, xong câu này Bác nhắn "tiền tháng này" để cháu xem tiền giúp ạ.')
        return True
    return False
