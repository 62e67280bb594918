"""How much does a group receive: the whole table of the group, or the exact rate asked about.

An amount question about a named person ("mẹ tôi 85 tuổi được bao nhiêu") is a pre-check and goes to
the eligibility interview; a question about a group ("thương binh 81% được bao nhiêu") is answered
from the eligibility service's table for that group, on the date asked ("năm 2023").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.busy import answers_busy
from actions.common.buttons import choice
from actions.eligibility import today
from clients import EligibilityClient, NotFound
from core.eligibility.dialogue import FIRST_DAY
from core.eligibility.understanding import Understood, understand
from core.eligibility.wording import period_label
from core.formatting import money
from core.rules import BenefitAmount, load_rules

HEDGE = " (chưa chắc chắn)"  # what the rules mark unconfirmed is never said as fact

# The group a named người có công group (or another fact) points to, when no group entity came.
TOPIC_OF_GROUP = {
    "war_invalid": "war_invalid", "war_invalid_b": "war_invalid_b", "sick_soldier": "sick_soldier",
    "agent_orange": "agent_orange", "martyr_family": "martyr_family", "heroic_mother": "heroic_mother",
}  # fmt: skip
TOPIC_OF_FACT = {
    "deceased": "funeral", "carer": "caregiver", "is_single_parent": "single_parent", "orphan_situation": "orphan",
    "hiv": "hiv", "disability_level": "disability", "merit": "merit",
}  # fmt: skip


GROUP_FACTS = {"merit", "merit_group", "injury_rate", "especially_severe_wound", "disability_level", "martyrs_count",
               "deceased", "carer"}  # fmt: skip


def about_someone(understood: Understood) -> bool:
    """A named relative or customer, or facts about the person ('tôi 75 tuổi'): a pre-check, not a table."""
    about = understood.about
    return (about is not None and about.relation != "self") or bool(set(understood.facts) - GROUP_FACTS)


def topic_of(understood: Understood) -> str | None:
    group = understood.facts.get("merit_group")
    if group:
        return TOPIC_OF_GROUP.get(group, "merit")
    return next((topic for fact, topic in TOPIC_OF_FACT.items() if understood.facts.get(fact)), None)


def _amount(item: BenefitAmount) -> str:
    if item.amount_vnd is None:
        return "mức chưa xác định"
    text = ("tối thiểu " if item.minimum else "") + money(item.amount_vnd)
    if item.key.startswith(("funeral", "care_k1", "care_k2")):
        return text + (" một lần" if item.key.startswith("funeral") else "/tháng mỗi người")
    return text + ("/tháng mỗi con" if item.per_child else "/tháng")


def benefit_lines(benefits: list[BenefitAmount]) -> list[str]:
    """Every row of the group: name (with the rate), amount, and a hedge where it is not confirmed."""
    lines = []
    for item in benefits:
        rate = f" {item.rate}%" if item.rate else ""
        hedge = "" if item.confirmed or item.amount_vnd is None else HEDGE
        lines.append(f"• {item.name}{rate}: {_amount(item)}{hedge}")
    return lines


def rate_answer(benefits: list[BenefitAmount], rate: int) -> str:
    """'Thương binh 81% được 8.639.000 ₫/tháng: trợ cấp 7.240.000 ₫ + phụ cấp 1.399.000 ₫.'"""
    main = benefits[0]
    if main.amount_vnd is None:
        return ""
    extra = next((b for b in benefits[1:] if "special" not in b.key and b.amount_vnd), None)
    special = next((b for b in benefits[1:] if "special" in b.key and b.amount_vnd), None)
    if extra is None:
        return f"Dạ, {main.name.lower()} {rate}% được {money(main.amount_vnd)}/tháng."
    total = main.amount_vnd + (extra.amount_vnd or 0)
    text = (f"Dạ, {main.name.lower()} {rate}% được {money(total)}/tháng: trợ cấp {money(main.amount_vnd)}"
            f" + phụ cấp {money(extra.amount_vnd or 0)}.")  # fmt: skip
    if special is not None:
        special_amount = money(special.amount_vnd or 0)
        text += f" Có vết thương, bệnh tật đặc biệt nặng thì phụ cấp đặc biệt {special_amount} thay phụ cấp."
    return text


GROUP_CHOICES = [("Người cao tuổi", "elderly"), ("Người khuyết tật", "disability"),
                 ("Trẻ em mồ côi", "orphan"), ("Người có công", "merit")]  # fmt: skip


class ActionAskBeneficiaryGroup(Action):
    def name(self) -> str:
        return "action_ask_beneficiary_group"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(
            text="Bác hỏi mức trợ cấp cho nhóm nào ạ? Bác chọn hoặc gõ số:",
            buttons=[choice(n, title, "beneficiary_group", value) for n, (title, value) in enumerate(GROUP_CHOICES, 1)],
        )
        return []


@answers_busy()  # the question is kept
async def answer_group(
    dispatcher: CollectingDispatcher, topic: str, level: str | None, understood: Understood
) -> list[EventType]:
    """The group's table on the day (or each stretch of the period) asked about."""
    reset = [SlotSet("beneficiary_group", None), SlotSet("disability_level", None)]
    rate = understood.facts.get("injury_rate") if isinstance(understood.facts.get("injury_rate"), int) else None
    start, end = understood.period or (today(), today())
    start, end = max(start, FIRST_DAY), max(min(end, today()), FIRST_DAY)
    days = [start] + [day for day in load_rules().change_days() if start < day <= end]
    client = EligibilityClient()
    tables = []
    try:
        for index, day in enumerate(days[:2]):
            found = await client.benefits(topic, day, level, rate)
            last = days[index + 1] - timedelta(days=1) if index + 1 < len(days) else end
            if not tables or tables[-1][2] != [(b.key, b.amount_vnd) for b in found]:
                tables.append((day, last, [(b.key, b.amount_vnd) for b in found], found))
    except NotFound:
        tables = []
    if not tables or not tables[0][3]:
        dispatcher.utter_message(response="utter_topic_not_covered")
        return reset
    lines: list[str] = []
    for day, last, _, found in tables:
        when = period_label(day, last) if understood.period else ""
        header = f"Dạ, {when}mức hằng tháng:" if when else "Dạ, mức hằng tháng hiện nay:"
        if len(tables) > 1:
            header = f"Từ {day:%d/%m/%Y} đến {last:%d/%m/%Y}:"
        exact = rate_answer(found, rate) if rate else ""
        lines += [exact] if exact else [header, *benefit_lines(found)]
    shown = tables[-1][3]
    citations = "; ".join(dict.fromkeys(item.citation for item in shown))
    forms = ", ".join(dict.fromkeys(item.form for item in shown if item.form))
    lines.append(f"Căn cứ: {citations}.")
    if forms:
        lines.append(f"Hồ sơ: tờ khai mẫu {forms}, nộp tại UBND xã/phường nơi cư trú.")
    dispatcher.utter_message(
        text="\n".join(lines),
        buttons=[
            {"title": "1. Kiểm tra cho một người", "payload": "/check_eligibility"},
            {"title": "2. Hỏi nhóm khác", "payload": "/ask_benefit_amount"},
            {"title": "3. Lịch chi trả", "payload": "/payment_schedule"},
        ],
    )
    return reset


def _said(tracker: Tracker) -> Understood:
    """What the message that asked the amount said (not a button payload)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            text = event.get("text") or ""
            if not text.startswith("/"):
                return understand(text, today())
    return Understood()


class ActionAnswerAmountQuestion(Action):
    """Routes an amount question: a named person -> the pre-check; a group -> its table; nothing -> which group?"""

    def name(self) -> str:
        return "action_answer_amount_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        understood = understand(text if not text.startswith("/") else "", today())
        if about_someone(understood):
            return [FollowupAction("action_eligibility_from_amount_question")]
        # The group the words name ("mẹ của liệt sĩ": martyr_family) before the model's broader entity ("merit").
        topic = topic_of(understood) or tracker.get_slot("beneficiary_group")
        if topic:
            level = tracker.get_slot("disability_level") or understood.facts.get("disability_level")
            level = level if level in ("severe", "especially_severe") else None
            return await answer_group(dispatcher, topic, level, understood)
        return [FollowupAction("benefit_amount_form")]


class ActionBenefitAmount(Action):
    """The amount once the group is known (chosen from the buttons, or named)."""

    def name(self) -> str:
        return "action_benefit_amount"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        topic = tracker.get_slot("beneficiary_group")
        level = tracker.get_slot("disability_level")
        if not topic:
            return [SlotSet("beneficiary_group", None), FollowupAction("action_ask_beneficiary_group")]
        return await answer_group(dispatcher, topic, level, _said(tracker))
