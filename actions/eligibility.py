"""Eligibility pre-check (PRODUCT.md 3.1): a short interview that listens.

Every message is read for facts (core/eligibility/understanding.py): who is asked about, who types,
and what they said — the first message and every answer, so nothing said is asked again and a
correction ("à không, 79 tuổi") replaces the old fact. The facts (no personal identifiers) live in
`eligibility_facts`; who is asked about and the period in `eligibility_context`. Each turn the
stateless eligibility service says which single question the answer still depends on and words the
answer; the first bubble gives the amount, the basis comes on request ("Căn cứ, giấy tờ").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.busy import answers_busy
from actions.common.passing import answered_in_passing
from clients import EligibilityClient, PreCheck, Refused, ServiceUnavailable
from core.eligibility import About, Facts
from core.eligibility.dialogue import Turn, follow_up, opening
from core.eligibility.wording import FIRST_ANSWER_MAX, acknowledge
from core.formatting import vietnam_today
from core.text import fold

SO_FAR = "Cháu hỏi thêm để xem có được nhiều hơn không:"
# "ủa mà người khuyết tật nặng được bao nhiêu?" mid-interview: a group's amount in general, not a fact about
# the person asked about — answered from the group's table, then the pending question is asked again.
GENERAL_AMOUNT = re.compile(
    r"\bnguoi (khuyet tat|cao tuoi|gia|nhiem hiv|don than|co cong)\b.*\b(bao nhieu|bn|may tram|muc)\b"
)
DONE = "done"  # eligibility_answer once nothing is left to ask: the form completes
MAX_BUTTONS = 4

RESULT_BUTTONS = [
    {"title": "1. Căn cứ, giấy tờ", "payload": "/eligibility_details"},
    {"title": "2. Hỏi cho người khác", "payload": "/check_eligibility"},
    {"title": "3. Lịch chi trả", "payload": "/payment_schedule"},
]


def today() -> date:
    return vietnam_today()


def context_of(tracker: Tracker) -> dict[str, Any]:
    return dict(tracker.get_slot("eligibility_context") or {})


def about_of(context: dict[str, Any]) -> About:
    try:
        return About.from_dict(context.get("about"))
    except (TypeError, ValueError):
        return About()


def remember(turn: Turn, context: dict[str, Any]) -> dict[str, Any]:
    """The context after a turn: who is asked about, and the period if one was named."""
    context = context | {"about": turn.about.to_dict()}
    if turn.ask_first:
        context["ask_first"] = list(turn.ask_first)
    if turn.period is not None:
        context |= {"on": turn.period[0].isoformat(), "until": turn.period[1].isoformat()}
    return context


def days(context: dict[str, Any]) -> tuple[date, date | None]:
    on = date.fromisoformat(context["on"]) if context.get("on") else today()
    until = date.fromisoformat(context["until"]) if context.get("until") else None
    return on, until


async def evaluate(facts: dict[str, Any], context: dict[str, Any]) -> PreCheck:
    on, until = days(context)
    return await EligibilityClient().evaluate(facts, on, until, context.get("about"), context.get("ask_first"))


def question_slot(check: PreCheck) -> dict[str, Any] | None:
    question = check.next_question
    if question is None:
        return None
    so_far = check.monthly_total_vnd + sum(int(item.get("amount_vnd") or 0) for item in check.care_support)
    return {"fact": question.fact, "type": question.type, "text": question.text, "options": list(question.options),
            "so_far": check.first if so_far else "", "early": check.early}  # fmt: skip


def ask(dispatcher: CollectingDispatcher, question: dict[str, Any], before: str = "") -> None:
    """The question with its answers as numbered buttons (≤ 4; typed "1", "2" pick them too).

    When something is already paid whatever the answer, the answer so far comes first: the person
    has an amount at once and the question only looks for more.
    """
    options = question.get("options") or []
    if len(options) > MAX_BUTTONS:
        options = [option for option in options if option[0] != "unknown"][:MAX_BUTTONS]
    buttons = [
        {"title": f"{index}. {label}", "payload": f'/inform{{"answer":"{index}"}}'}
        for index, (_, label) in enumerate(options, start=1)
    ]
    text = question["text"]
    early = question.get("early") if isinstance(question.get("early"), str) else ""
    if isinstance(question.get("so_far"), str) and question["so_far"]:
        text = "\n".join(part for part in (question["so_far"], early, SO_FAR, text) if part)
    elif early:  # what is already settled, before the question that may change it
        text = f"{early}\n{text}"
    if before:
        text = f"{before}\n{text}"
    dispatcher.utter_message(text=text, buttons=buttons)


def start_events(facts: dict[str, Any], context: dict[str, Any], check: PreCheck | None) -> list[EventType]:
    return [
        SlotSet("eligibility_facts", facts),
        SlotSet("eligibility_context", context),
        SlotSet("eligibility_question", question_slot(check) if check else None),
        SlotSet("eligibility_answer", DONE if check and check.complete else None),
    ]


async def start(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """A new pre-check from what the first message already says."""
    message = tracker.latest_message or {}
    turn = opening(message.get("text") or "", today())
    context = remember(turn, {})
    facts = dict(turn.facts)
    try:
        try:
            check = await evaluate(facts, context)
        except Refused:  # a value the rules reject: ask everything instead
            facts = {}
            check = await evaluate(facts, context)
    except ServiceUnavailable:
        dispatcher.utter_message(response="utter_service_busy")
        return start_events(facts, context, None)
    heard = "" if check.complete else acknowledge(facts, turn.about, Facts.from_dict(_known(facts)))
    lead = " ".join(part for part in (turn.note, heard) if part)  # the answer itself names the person
    if lead:
        context["lead"] = lead  # said with the first question, or before the answer
    elif not check.complete and not check.early:  # an early answer is said first, with the question
        dispatcher.utter_message(response="utter_eligibility_intro")
    return start_events(facts, context, check)


async def correct(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """A correction after the answer ("à nhầm, tôi mới 68"): the facts of the last pre-check with the
    new value, acknowledged, and the interview goes on from there. None when nothing usable was said."""
    message = tracker.latest_message or {}
    context = context_of(tracker)
    turn = follow_up(dict(tracker.get_slot("eligibility_facts") or {}), about_of(context), None,
                     str(message.get("text") or ""), today())  # fmt: skip
    if not turn.understood:
        return None
    facts, context = turn.facts, remember(turn, context)
    try:
        check = await evaluate(facts, context)
    except Refused:
        return None
    except ServiceUnavailable:
        dispatcher.utter_message(response="utter_service_busy")
        return start_events(facts, context, None)
    changed = turn.corrected or turn.told
    heard = acknowledge(changed, turn.about, Facts.from_dict(_known(facts)), corrected=True)
    context["lead"] = " ".join(part for part in (turn.note, heard) if part)
    return start_events(facts, context, check)


def _known(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts the engine accepts (a wording helper must never fail on a value the service refused)."""
    try:
        Facts.from_dict(facts)
        return facts
    except ValueError:
        return {}


class ActionStartEligibility(Action):
    """Starts the interview with what the first message already says."""

    def name(self) -> str:
        return "action_start_eligibility"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await start(dispatcher, tracker)


class ActionAskEligibilityAnswer(Action):
    """Asks the pending question; asks the service again if the last call failed."""

    def name(self) -> str:
        return "action_ask_eligibility_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        context = context_of(tracker)
        lead = context.pop("lead", "")
        question = tracker.get_slot("eligibility_question")
        if question:
            ask(dispatcher, question, lead)
            return [SlotSet("eligibility_context", context)]
        try:
            check = await evaluate(tracker.get_slot("eligibility_facts") or {}, context)
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy")
            return []
        question = question_slot(check)
        if question:
            ask(dispatcher, question, lead)
        return [SlotSet("eligibility_question", question), SlotSet("eligibility_context", context)]


class ValidateEligibilityForm(FormValidationAction):
    def name(self) -> str:
        return "validate_eligibility_form"

    @answers_busy({"eligibility_answer": None})
    async def validate_eligibility_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        facts = dict(tracker.get_slot("eligibility_facts") or {})
        context = context_of(tracker)
        question = tracker.get_slot("eligibility_question")
        if value == DONE and not question:
            return {"eligibility_answer": DONE}
        if tracker.get_slot("requested_slot") != "eligibility_answer":
            return {"eligibility_answer": None}  # the form is starting: the first message is no answer
        text = str(value or "")
        message = tracker.latest_message or {}
        choice = next((str(e.get("value")) for e in message.get("entities", []) if e.get("entity") == "answer"), None)
        if not choice and GENERAL_AMOUNT.search(fold(text)):
            from actions.benefits import answer_group, topic_of  # benefits imports this module
            from core.eligibility.understanding import understand

            understood = understand(text, today())
            topic = topic_of(understood) if understood.about is None else None
            if topic:
                level = understood.facts.get("disability_level")
                table = CollectingDispatcher()
                await answer_group(table, topic, level if level in ("severe", "especially_severe") else None,
                                   understood)  # fmt: skip
                for said in table.messages:  # the table's text only: the question's buttons follow
                    if said.get("text"):
                        dispatcher.utter_message(text=said["text"])
                    elif said.get("response"):
                        dispatcher.utter_message(response=said["response"])
                return {"eligibility_answer": None}  # the form asks its question again
        turn = follow_up(facts, about_of(context), question, text, today(), choice)
        if not turn.understood:
            if not await answered_in_passing(dispatcher, tracker, domain):
                dispatcher.utter_message(response="utter_eligibility_not_understood")
            return {"eligibility_answer": None}  # the form asks its question again
        facts, context = turn.facts, remember(turn, context)
        try:
            check = await evaluate(facts, context)
        except Refused:
            dispatcher.utter_message(response="utter_eligibility_not_understood")
            return {"eligibility_answer": None}
        lead = [turn.note] if turn.note else []
        if turn.corrected:
            lead.append(acknowledge(turn.corrected, turn.about, Facts.from_dict(_known(facts)), corrected=True))
        if any(lead):
            context["lead"] = " ".join(part for part in lead if part)
        return {
            "eligibility_facts": facts,
            "eligibility_context": context,
            "eligibility_question": question_slot(check),
            "eligibility_answer": DONE if check.complete else None,
        }


class ActionEligibilityResult(Action):
    """The answer first: the amount (or yes/no) in one short bubble; the basis on request."""

    def name(self) -> str:
        return "action_eligibility_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = [SlotSet("eligibility_answer", None), SlotSet("eligibility_question", None)]
        context = context_of(tracker)
        lead = context.pop("lead", "")
        try:
            check = await evaluate(tracker.get_slot("eligibility_facts") or {}, context)
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy")
            return reset
        text = check.first
        if lead and len(lead) + 1 + len(text) <= FIRST_ANSWER_MAX:
            text = f"{lead} {text}"  # "cháu sửa lại: …" and the answer it leads to fit one screen together
        elif lead:
            dispatcher.utter_message(text=lead)
        dispatcher.utter_message(text=text, buttons=RESULT_BUTTONS)
        return [*reset, SlotSet("eligibility_context", context)]


class ActionEligibilityDetails(Action):
    """The basis, papers and where to apply for the last answer, in one bubble."""

    def name(self) -> str:
        return "action_eligibility_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        facts = tracker.get_slot("eligibility_facts")
        if facts is None:
            dispatcher.utter_message(response="utter_eligibility_details_missing")
            return []
        try:
            check = await evaluate(facts, context_of(tracker))
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy")
            return []
        buttons = [{"title": f"{n}. {b['title'].split('. ', 1)[1]}", "payload": b["payload"]}
                   for n, b in enumerate(RESULT_BUTTONS[1:], start=1)]  # fmt: skip
        dispatcher.utter_message(text=check.details, buttons=buttons)
        return []


class ActionEligibilityFromAmountQuestion(Action):
    """An amount question about a named person ("mẹ tôi 85 tuổi được bao nhiêu") is a pre-check."""

    def name(self) -> str:
        return "action_eligibility_from_amount_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [*await start(dispatcher, tracker), FollowupAction("eligibility_form")]
