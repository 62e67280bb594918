"""FAQ answers (PRODUCT.md 3.9): the response the FAQ selector chose, completed with what only the
conversation knows — the hotline from the rules data, the cash day of a commune already named,
the e-wallet the person named."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contacts import contact_lines
from clients import PaymentClient, ServiceUnavailable
from core.text import fold_words
from core.values import other_wallets, providers

LICENSED = "Viettel Money, VNPT Money, MobiFone Money"


def _padded(text: str) -> str:
    return " " + " ".join(fold_words(re.sub(r"[^\w\s]", " ", text)).split()) + " "


def wallets_named(text: str) -> list[str]:
    """Names of the e-wallets that are not Mobile Money named in `text` ('ví momo' -> ['MoMo'])."""
    folded = _padded(text)
    found = []
    for spec in other_wallets().values():
        if any(f" {fold_words(alias)} " in folded for alias in spec["aliases"]):
            found.append(spec["name"])
    return found


def licensed_named(text: str) -> list[str]:
    """Names of the licensed Mobile Money wallets named in `text` ('mobi money' -> ['MobiFone Money'])."""
    folded = _padded(text)
    return [
        spec["name"]
        for code, spec in providers().items()
        if code.endswith("_MONEY") and any(f" {fold_words(a)} " in folded for a in [spec["name"], *spec["aliases"]])
    ]


def wallet_answer(text: str) -> str | None:
    """The honest answer about an e-wallet named in `text`, or None when none is named."""
    others, licensed = wallets_named(text), licensed_named(text)
    if others:
        names = ", ".join(others)
        return (
            f"Dạ, {names} là ví điện tử, không phải ví tiền di động (Mobile Money). Cháu chưa có thông tin "
            f"là tiền trợ cấp hằng tháng nhận được qua {names}. Chắc chắn nhận được qua tài khoản ngân hàng "
            f"hoặc ví {LICENSED}."
        )
    if licensed:
        names = ", ".join(licensed)
        return (
            f"Dạ, {names} là ví tiền di động của nhà mạng, được phép nhận tiền trợ cấp. Bác mang CCCD ra "
            "cửa hàng nhà mạng để mở ví bằng số điện thoại chính chủ, rồi liên kết ví với cháu."
        )
    return None


# After "this wallet cannot receive the allowance": what can (issue 13 §5: a bank instead, or cash).
WALLET_NEXT_STEPS = [
    {"title": "1. Liên kết tài khoản ngân hàng hoặc ví Mobile Money", "payload": "/link_account"},
    {"title": "2. Nhận tiền mặt ở xã", "payload": "/payment_schedule"},
]


class ActionFaq(Action):
    def name(self) -> str:
        return "action_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        selector = (tracker.latest_message.get("response_selector") or {}).get("faq") or {}
        key = (selector.get("response") or {}).get("intent_response_key") or ""
        text = tracker.latest_message.get("text") or ""
        if key == "faq/hotline":
            dispatcher.utter_message(text="\n".join(["Dạ, Bác liên hệ:", *contact_lines()]))
            return []
        answer = wallet_answer(text)
        if key in ("faq/ewallets", "faq/no_bank_account") and answer:
            dispatcher.utter_message(text=answer, buttons=WALLET_NEXT_STEPS)  # what can be done instead
            return []
        if key == "faq/cash_payment" and tracker.get_slot("commune"):
            try:
                found = await PaymentClient().schedules(str(tracker.get_slot("commune")))
            except ServiceUnavailable:
                found = []
            if found:
                s = found[0]
                dispatcher.utter_message(
                    text=f"Dạ, ở {s.commune}, tiền mặt chi ngày {s.cash_day} hằng tháng tại {s.cash_place}. "
                    "Bác nhớ mang CCCD; không nhận liên tục 3 tháng thì trợ cấp bị tạm dừng."
                )
                return []
        if key:
            dispatcher.utter_message(response=f"utter_{key}")
        else:
            dispatcher.utter_message(response="utter_help")
        return []
