"""Payment schedule of a commune: answered from the payment service's database."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.clients import PaymentClient, ServiceUnavailable

MAX_COMMUNE_CHARS = 60


def clean_commune(text: str) -> str | None:
    """'ở xã Tân Phú ạ' -> 'Tân Phú'; None when it cannot be a commune name."""
    words = re.sub(r"[^\w\s-]", " ", text or "").split()
    drop = {
        "o",
        "ở",
        "tai",
        "tại",
        "xa",
        "xã",
        "phuong",
        "phường",
        "thi",
        "thị",
        "tran",
        "trấn",
        "a",
        "ạ",
        "nha",
        "nhé",
        "em",
        "con",
        "chau",
        "cháu",
        "toi",
        "tôi",
    }
    kept = [word for word in words if word.lower() not in drop]
    name = " ".join(kept)
    if not name or len(name) > MAX_COMMUNE_CHARS or not any(ch.isalpha() for ch in name):
        return None
    return name


class ValidateScheduleForm(FormValidationAction):
    def name(self) -> str:
        return "validate_schedule_form"

    async def validate_commune(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = clean_commune(str(value or ""))
        if name is None:
            dispatcher.utter_message(text="Dạ, Bác gõ tên xã hoặc phường giúp cháu, ví dụ: Tân Phú.")
        return {"commune": name}


class ActionPaymentSchedule(Action):
    def name(self) -> str:
        return "action_payment_schedule"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        commune = tracker.get_slot("commune")
        try:
            found = await PaymentClient().schedules(commune)
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return []
        if not found:
            dispatcher.utter_message(response="utter_schedule_not_found", commune=commune)
            return [SlotSet("commune", None)]
        for schedule in found[:2]:
            dispatcher.utter_message(
                text=(
                    f"{schedule.commune} ({schedule.province}): tiền vào tài khoản khoảng ngày "
                    f"{schedule.transfer_day} hằng tháng. Nhận tiền mặt ngày {schedule.cash_day} "
                    f"tại {schedule.cash_place}."
                )
            )
        return [SlotSet("commune", None)]
