"""Eligibility pre-check (PRODUCT.md 3.1): a short interview driven by the eligibility service.

The facts told so far live in one slot (`eligibility_facts`); each turn the service says which single
question the answer still depends on (`eligibility_question`), the form asks it with its answers as
numbered buttons, and the validator turns the reply into a fact. Nothing is stored elsewhere.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from clients import EligibilityClient, PreCheck, Refused, ServiceUnavailable
from core.formatting import money
from core.text import fold

UNKNOWN = "unknown"  # the engine's value for "không biết"
DONE = "done"  # eligibility_answer once nothing is left to ask: the form completes
HEDGE = " (theo thông tin hiện có)"  # what the rules mark unconfirmed is never said as fact

_UNKNOWN_WORDS = re.compile(r"\b(khong|ko|k|chua|hong)\s*(biet|ro|nho)\b|\bkbiet\b|\bko ro\b")
_NO = re.compile(r"^(khong|ko|k|kg|chua|hong|deo|no)\b")
_YES = re.compile(r"^(co|dung|roi|vang|da|u|uh|ok|yes|phai)\b")
_AGE = re.compile(r"\b(\d{1,3})\s*(tuoi|t)\b")
_BIRTH_YEAR = re.compile(r"\b(?:sinh|sn)\s*(?:nam\s*)?(\d{4})\b")
_NO_PENSION = re.compile(r"\b(khong|ko|k|chua|hong)\s*(co\s*|huong\s*|nhan\s*|lanh\s*)?luong huu\b")
_PENSION = re.compile(r"\b(co|dang huong|huong|nhan|lanh)\s*luong huu\b")
_HOUSEHOLD = (("ho can ngheo", "near_poor"), ("can ngheo", "near_poor"), ("ho ngheo", "poor"))
_BOUNDS = {"age": (0, 130), "count": (0, 30), "year": (1880, 2200), "month": (1, 12)}


def prefill(text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    """Facts a first message already tells: "mẹ tôi 82 tuổi không có lương hưu" → age 82, no pension."""
    folded = fold(text)
    facts: dict[str, Any] = {}
    if match := _BIRTH_YEAR.search(folded):
        facts["birth_year"] = int(match.group(1))
    elif match := _AGE.search(folded):
        facts["age"] = int(match.group(1))
    if _NO_PENSION.search(folded):
        facts["has_pension"] = False
    elif _PENSION.search(folded):
        facts["has_pension"] = True
    for phrase, value in _HOUSEHOLD:
        if phrase in folded:
            facts["household_type"] = value
            break
    for entity in entities:
        name, value = entity.get("entity"), entity.get("value")
        if name in ("household_type", "disability_level") and isinstance(value, str):
            facts.setdefault(name, value)
        elif (
            name in ("age", "birth_year") and str(value).isdigit() and "age" not in facts and "birth_year" not in facts
        ):
            facts[name] = int(value)
    low, high = _BOUNDS["age"]
    if not low <= facts.get("age", low) <= high:
        facts.pop("age")
    return facts


def parse_answer(question: dict[str, Any], text: str, choice: str | None = None) -> dict[str, Any] | None:
    """The facts one reply gives to `question` (a Question as a dict), or None when it is not understood.

    `choice` is the 1-based index of a button pressed (payload `/inform{"answer":"2"}`).
    """
    fact, kind = question["fact"], question["type"]
    options = [tuple(option) for option in question.get("options", [])]
    if choice and choice.isdigit() and 1 <= int(choice) <= len(options):
        return {fact: options[int(choice) - 1][0]}
    folded = fold(text).strip(" .!?,")
    if not folded:
        return None
    if _UNKNOWN_WORDS.search(folded) or folded in ("?", "k biet", "ko biet"):
        return {fact: UNKNOWN}
    for value, label in options:
        if folded in (fold(label), str(value).lower()):
            return {fact: value}
    if kind in _BOUNDS:
        numbers = [int(n) for n in re.findall(r"\d+", folded)]
        if kind == "age" and numbers and 1880 <= numbers[0] <= 2200:
            return {"birth_year": numbers[0]}
        if kind == "count" and not numbers and _NO.match(folded):
            return {fact: 0}
        low, high = _BOUNDS[kind]
        if numbers and low <= numbers[0] <= high:
            return {fact: numbers[0]}
        return None
    if kind == "bool":
        if _NO.match(folded):
            return {fact: False}
        if _YES.match(folded):
            return {fact: True}
        return None
    if _NO.match(folded) and any(value == "none" for value, _ in options):
        return {fact: "none"}
    for value, label in options:  # "nhà tôi hộ nghèo" picks "Hộ nghèo"
        if value != UNKNOWN and fold(label) in folded:
            return {fact: value}
    return None


def question_slot(check: PreCheck) -> dict[str, Any] | None:
    question = check.next_question
    if question is None:
        return None
    return {"fact": question.fact, "type": question.type, "text": question.text, "options": list(question.options)}


def ask(dispatcher: CollectingDispatcher, question: dict[str, Any]) -> None:
    """The question with its answers as numbered buttons (typed "1", "2" pick them too)."""
    options = question.get("options") or []
    buttons = [
        {"title": f"{index}. {label}", "payload": f'/inform{{"answer":"{index}"}}'}
        for index, (_, label) in enumerate(options, start=1)
    ]
    hint = " Bác chọn hoặc gõ số:" if buttons and len(buttons) > 1 else ""
    dispatcher.utter_message(text=question["text"] + hint, buttons=buttons)


async def evaluate(facts: dict[str, Any]) -> PreCheck:
    return await EligibilityClient().evaluate(facts, date.today())


class ActionStartEligibility(Action):
    """Starts the interview with what the first message already says."""

    def name(self) -> str:
        return "action_start_eligibility"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        facts = prefill(message.get("text") or "", message.get("entities") or [])
        dispatcher.utter_message(response="utter_eligibility_intro")
        try:
            try:
                check = await evaluate(facts)
            except Refused:  # a prefilled value the rules reject: ask everything instead
                facts = {}
                check = await evaluate(facts)
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            check = None
        question = question_slot(check) if check else None
        return [
            SlotSet("eligibility_facts", facts),
            SlotSet("eligibility_question", question),
            SlotSet("eligibility_answer", DONE if check and check.complete else None),
        ]


class ActionAskEligibilityAnswer(Action):
    """Asks the pending question; asks the service again if the last call failed."""

    def name(self) -> str:
        return "action_ask_eligibility_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        question = tracker.get_slot("eligibility_question")
        if question:
            ask(dispatcher, question)
            return []
        try:
            check = await evaluate(tracker.get_slot("eligibility_facts") or {})
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return []
        question = question_slot(check)
        if question:
            ask(dispatcher, question)
        return [SlotSet("eligibility_question", question)]


class ValidateEligibilityForm(FormValidationAction):
    def name(self) -> str:
        return "validate_eligibility_form"

    async def validate_eligibility_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        facts = dict(tracker.get_slot("eligibility_facts") or {})
        question = tracker.get_slot("eligibility_question")
        if value == DONE and not question:
            return {"eligibility_answer": DONE}
        if tracker.get_slot("requested_slot") != "eligibility_answer":
            return {"eligibility_answer": None}  # the form is starting: the first message is no answer
        if question:
            message = tracker.latest_message or {}
            choice = next(
                (str(e.get("value")) for e in message.get("entities", []) if e.get("entity") == "answer"), None
            )
            answer = parse_answer(question, str(value or ""), choice)
            if answer is None:
                dispatcher.utter_message(response="utter_eligibility_not_understood")
                return {"eligibility_answer": None}
            facts.update(answer)
        try:
            check = await evaluate(facts)
        except Refused:
            dispatcher.utter_message(response="utter_eligibility_not_understood")
            return {"eligibility_answer": None}
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return {"eligibility_answer": None}
        return {
            "eligibility_facts": facts,
            "eligibility_question": question_slot(check),
            "eligibility_answer": DONE if check.complete else None,
        }


def result_messages(check: PreCheck) -> list[str]:
    """The answer in a few short messages: what and how much, the law, the papers, where, what is open."""
    lines: list[str] = []
    monthly = [*check.benefits, *check.care_support]
    if check.benefits:
        lines.append(f"Dạ, theo thông tin Bác cho biết, mỗi tháng được {money(check.monthly_total_vnd)}:")
    else:
        lines.append("Dạ, theo thông tin Bác cho biết, hiện chưa thấy khoản trợ cấp hằng tháng nào phù hợp.")
    names = []
    for item in monthly:
        amount = f"{money(item['amount_vnd'])}/tháng" if item.get("amount_vnd") is not None else "mức chưa xác nhận"
        overlap = "" if item.get("paid", True) else " (không cộng thêm)"
        lines.append(f"• {item['name']}: {amount}{overlap}{'' if item.get('confirmed') else HEDGE}")
        names.append(fold(item["name"]))
    lines += [line for line in check.explanation if not any(fold(line).startswith(name) for name in names)]
    messages = ["\n".join(lines)]

    basis = []
    for item in monthly:
        hedge = "" if item.get("confirmed") else HEDGE
        papers = ", ".join(item.get("papers") or []) or item.get("form_name", "")
        basis.append(
            f"• {item['name'].split(',')[0].split(' (')[0]}: theo {item['citation']}{hedge}. Mang theo: {papers}."
        )
    if basis:
        messages.append("Căn cứ và hồ sơ:\n" + "\n".join(basis))

    procedures = len({item.get("procedure") for item in monthly}) or 1
    where = [
        ("" if place.get("confirmed") else "Theo thông tin hiện có: ") + place["text"]
        for place in check.where_to_apply[:procedures]
    ]
    if where:
        messages.append("Nơi nộp:\n" + "\n".join(where))

    still_open = [*check.undecided, *check.notes]
    if still_open:
        messages.append("Còn chưa chắc chắn:\n" + "\n".join(f"• {line}" for line in still_open))
    return messages


class ActionEligibilityResult(Action):
    def name(self) -> str:
        return "action_eligibility_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        reset = [SlotSet("eligibility_answer", None), SlotSet("eligibility_question", None)]
        try:
            check = await evaluate(tracker.get_slot("eligibility_facts") or {})
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy")
            return reset
        messages = result_messages(check)
        for text in messages[:-1]:
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(
            text=messages[-1],
            buttons=[
                {"title": "1. Kiểm tra cho người khác", "payload": "/check_eligibility"},
                {"title": "2. Lịch chi trả", "payload": "/payment_schedule"},
            ],
        )
        return [*reset, SlotSet("eligibility_facts", None)]
