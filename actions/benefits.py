"""How much does a group receive each month: answered from the eligibility service."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.buttons import choice
from clients import EligibilityClient, NotFound, ServiceUnavailable
from core.formatting import money

MAX_LINES = 3  # short answers: the most common cases of the group, not the whole table


def benefit_lines(benefits: list[Any]) -> list[str]:
    lines = []
    for item in benefits[:MAX_LINES]:
        per = " mỗi con" if item.per_child else ""
        hedge = " (theo thông tin hiện có)" if not item.confirmed else ""
        lines.append(f"• {item.name}: {money(item.amount_vnd)}/tháng{per}{hedge}")
    return lines


GROUP_CHOICES = [("Người cao tuổi", "elderly"), ("Người khuyết tật", "disability"),
                 ("Trẻ em mồ côi", "orphan"), ("Người có công", "merit")]  # fmt: skip


class ActionAskBeneficiaryGroup(Action):
    def name(self) -> str:
        return "action_ask_beneficiary_group"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="Bác hỏi mức trợ cấp cho nhóm nào ạ? Bác chọn hoặc gõ số:",
            buttons=[choice(n, title, "beneficiary_group", value) for n, (title, value) in enumerate(GROUP_CHOICES, 1)],
        )
        return []


class ActionBenefitAmount(Action):
    def name(self) -> str:
        return "action_benefit_amount"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topic = tracker.get_slot("beneficiary_group")
        level = tracker.get_slot("disability_level")
        reset = [SlotSet("beneficiary_group", None), SlotSet("disability_level", None)]
        if not topic:
            return [*reset, FollowupAction("action_ask_beneficiary_group")]
        try:
            benefits = await EligibilityClient().benefits(topic, date.today(), level)
        except NotFound:
            benefits = []
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return []
        if not benefits:
            dispatcher.utter_message(response="utter_topic_not_covered")
            return reset
        shown = benefits[:MAX_LINES]
        citations = "; ".join(dict.fromkeys(item.citation for item in shown))
        forms = ", ".join(dict.fromkeys(item.form for item in shown if item.form))
        text = "\n".join(
            [
                "Dạ, mức hằng tháng hiện nay:",
                *benefit_lines(shown),
                f"Căn cứ: {citations}.",
                f"Hồ sơ: tờ khai mẫu {forms}, nộp tại UBND xã/phường nơi cư trú." if forms else "",
            ]
        ).strip()
        dispatcher.utter_message(
            text=text,
            buttons=[
                {"title": "1. Hỏi nhóm khác", "payload": "/ask_benefit_amount"},
                {"title": "2. Lịch chi trả", "payload": "/payment_schedule"},
            ],
        )
        return reset
