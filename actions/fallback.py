"""Two-stage fallback (PRODUCT.md 3.11): when the message is not understood, offer the likeliest
meanings as buttons; when that happens twice in a row, hand the conversation to a person."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import hand_over
from core.formatting import vietnam_today
from core.text import fold_words

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


_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$"
)


def looks_like_words(text: str) -> bool:
    """Whether a message reads as words at all ('asdf ghjk' does not): most of its words are
    Vietnamese syllables (diacritics folded) or numbers."""
    words = re.sub(r"[^\w\s]", " ", fold_words(text)).split()
    if not words:
        return False
    good = sum(1 for word in words if word.isdigit() or _SYLLABLE.match(word) or word in ("ok", "oke", "okay", "yes"))
    return good * 2 > len(words)


def clarified_just_before(tracker: Tracker) -> bool:
    """Whether the bot's previous turn was already "cháu chưa hiểu" (two in a row: offer a person)."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif users == 1 and event.get("event") == "action" and event.get("name") == "action_clarify_intent":
            return True
    return False


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
        routed = await route_by_content(dispatcher, tracker, domain)
        if routed is not None:
            return routed
        in_a_row = clarified_just_before(tracker) and (tracker.get_slot("fallback_count") or 0) >= 1
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


async def route_by_content(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> list[dict[str, Any]] | None:
    """A short message whose meaning is clear from what it names, whatever its intent came out as:
    a month right after a payment answer ("còn t10", "tháng trước đó"), a bank with a number, a
    commune ("ở phường Ninh Kiều"), facts of a pre-check ("tôi 76 tuổi") or a condition it asks about
    ("cháu tôi bị thiểu năng trí tuệ"). Answered here (a chain of
    follow-up actions would end in Rasa's fallback); None when the message names none of these."""
    from actions.accounts import ActionStartLink, account_number_in, provider_in
    from actions.payments import answer_month, asked_period, commune_named, tell_schedules

    text = str((tracker.latest_message or {}).get("text") or "")
    if text.startswith("/"):
        return None
    if tracker.get_slot("last_period") and asked_period(tracker, vietnam_today()):
        return await answer_month(dispatcher, tracker, "action_check_payment", follow_up=False)
    if provider_in(text) and (account_number_in(text) or re.search(r"lien ket|tai khoan|\bvi\b", text.lower())):
        return await ActionStartLink().run(dispatcher, tracker, domain)
    from actions.identity import ActionStartIdentity, cccd_in

    only_a_number = cccd_in(text) and len(re.sub(r"[\d\s.]", "", text)) < 4
    if only_a_number or re.search(r"\bxac (thuc|minh)\b", fold_words(text).lower()):
        return await ActionStartIdentity().run(dispatcher, tracker, domain)  # a CCCD typed alone, "… cần xác thực"
    found = await commune_named(tracker)
    if found:
        return await tell_schedules(dispatcher, found)
    from actions.eligibility import correct, start
    from core.eligibility.understanding import asks_first, understand

    understood = understand(text, vietnam_today())
    if understood.corrected and understood.facts and tracker.get_slot("eligibility_facts"):
        corrected = await correct(dispatcher, tracker)  # "à nhầm, tôi mới 68" after an answer: the same pre-check
        if corrected is not None:
            return [*corrected, FollowupAction("eligibility_form")]
    if understood.facts or asks_first(text):  # "tôi bị liệt 2 chân": a condition the pre-check asks about first
        return [*await start(dispatcher, tracker), FollowupAction("eligibility_form")]
    return None


class ActionInformOutsideForm(Action):
    """An answer-like message when no question is open: used for what it names, else the menu."""

    def name(self) -> str:
        return "action_inform_outside_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        routed = await route_by_content(dispatcher, tracker, domain)
        if routed is not None:
            return routed
        text = str((tracker.latest_message or {}).get("text") or "")
        if not looks_like_words(text):
            return await ActionClarifyIntent().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_help")
        return []


class ActionDeny(Action):
    """ "Không" with no question open; a string of letters that is no word goes to "chưa hiểu"."""

    def name(self) -> str:
        return "action_deny"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        routed = await route_by_content(dispatcher, tracker, domain)  # "không, tháng 10 cơ": the month
        if routed is not None:
            return routed
        if not looks_like_words(str((tracker.latest_message or {}).get("text") or "")):
            return await ActionClarifyIntent().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_affirm_without_context")
        return []


def answered_this_turn(tracker: Tracker) -> bool:
    """Whether the bot already replied to the person's latest message (a bot event after it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return True
        if event.get("event") == "user":
            return False
    return False


class ActionDefaultFallback(Action):
    """Ours in place of Rasa's `action_default_fallback`, which RulePolicy runs when no rule says what
    comes next. Rasa's reverts the person's whole turn (`UserUtteranceReverted`). That is right when
    nothing was answered, but after an action reached by `FollowupAction` ("Thử lại" going straight
    to the VNeID check, the payment asked before verification answered after it) the turn was
    answered, and reverting it dropped what it set: the new approval, so the person's "xong" was
    not understood, and the verified state. Then the turn is kept and the bot just listens."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if answered_this_turn(tracker):
            return [FollowupAction("action_listen")]
        return [UserUtteranceReverted()]
