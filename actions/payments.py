"""Payments (PRODUCT.md 3.5): a commune's schedule, a person's payments by month, and why a
month's money has not arrived — all answered from the payment service's database."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.gate import verified_person
from actions.family import ended_message, whose_data
from clients import PaymentClient, Refused, ServiceUnavailable, VerificationClient
from core.formatting import money, vietnam_today
from core.periods import period_for, period_label

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


PROGRAM_NAMES = {"BTXH": "trợ cấp xã hội", "HTXH": "trợ cấp hưu trí xã hội", "NCC": "trợ cấp người có công"}
STATUS_NAMES = {
    "listed": "đã lập danh sách",
    "approved": "đã phê duyệt",
    "sent_to_treasury": "đã chuyển Kho bạc",
    "sent_to_bank": "đã chuyển sang ngân hàng",
    "paid": "đã vào tài khoản",
    "failed": "chuyển khoản không thành công",
    "returned": "bị ngân hàng hoàn trả",
    "cash_at_commune": "chi tiền mặt tại xã",
}
NOT_SENT_YET = {"listed", "approved", "sent_to_treasury"}


def receiving_account(links: list[dict[str, Any]]) -> str:
    """'Agribank ****1234' for the verified link, or '' when payments are not to an account."""
    from actions.accounts import provider_name
    from core.masking import shown

    verified = next((link for link in links if link["status"] == "verified"), None)
    return f"{provider_name(verified['provider'])} {shown(verified['account_last4'])}" if verified else ""


def payment_line(payment: dict[str, Any], account: str) -> str:
    """'Tháng 11/2026, trợ cấp xã hội: 500.000 ₫ — đã vào tài khoản ngày 5/11 (Agribank ****1234).'"""
    when = date.fromisoformat(payment["status_date"])
    where = f" ({account})" if account and payment["channel"] != "cash" else ""
    program = PROGRAM_NAMES.get(payment["program"], payment["program"])
    return (
        f"{period_label(payment['period']).capitalize()}, {program}: "
        f"{money(payment['amount_vnd'])} — {STATUS_NAMES.get(payment['status'], payment['status'])} "
        f"ngày {when.day}/{when.month}{where}."
    )


async def payments_and_links(
    person: Any, period: str, channel_user: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The person's payments of one period and their link history (newest first), read through the
    channel user's verified session."""
    payments = await PaymentClient().payments(person.beneficiary_id, period, channel_user=channel_user)
    links = await VerificationClient().links(person.beneficiary_id, channel_user=channel_user)
    return payments, links


class ActionCheckPayment(Action):
    """Payments of the month asked ("tháng này", "tháng 3", "t9"; this month if none)."""

    def name(self) -> str:
        return "action_check_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return events
        subject, events = await whose_data(dispatcher, tracker, person)
        if subject is None:
            return events
        return await tell_payments(dispatcher, tracker, subject, events)


async def tell_payments(
    dispatcher: CollectingDispatcher, tracker: Tracker, subject: Any, events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The month's payments of the person the conversation is about, named ("Bà Trần Thị Bình: ...")."""
    period = period_for(tracker.get_slot("month"), vietnam_today())
    try:
        payments, links = await payments_and_links(subject, period, tracker.sender_id)
    except Refused:  # the authorisation ended between two calls
        ended_message(dispatcher, subject.named)
        return [*events, SlotSet("helping_name", None)]
    except ServiceUnavailable:
        dispatcher.utter_message(response="utter_service_busy")
        return events
    if not payments and subject.relation is not None:
        dispatcher.utter_message(text=f"{subject.named}: {period_label(period)} chưa có khoản chi trả nào.")
    elif not payments:
        dispatcher.utter_message(response="utter_no_payment", period=period_label(period))
    else:
        account = receiving_account(links)
        lines = [f"{subject.named}:", *(payment_line(p, account) for p in payments)]
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[{"title": "1. Sao chưa nhận được?", "payload": "/report_missing_payment"}],
        )
    return [*events, SlotSet("month", None)]


class ActionExplainMissingPayment(Action):
    """ "Vì sao tháng này chưa nhận": answered from the person's own payment, link and commune schedule."""

    def name(self) -> str:
        return "action_explain_missing_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return events
        subject, events = await whose_data(dispatcher, tracker, person)
        if subject is None:
            return events
        period = period_for(tracker.get_slot("month"), vietnam_today())
        try:
            payments, links = await payments_and_links(subject, period, tracker.sender_id)
            schedules = await PaymentClient().schedules(subject.commune, subject.province)
        except Refused:
            ended_message(dispatcher, subject.named)
            return [*events, SlotSet("helping_name", None)]
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return events
        lines = [f"{subject.named}:"] if subject.relation is not None else []
        lines += explain(
            period,
            payments[0] if payments else None,
            schedules[0] if schedules else None,
            links[0] if links else None,
            receiving_account(links),
        )
        dispatcher.utter_message(text="\n".join(lines))
        return [*events, SlotSet("month", None)]


def explain(
    period: str, payment: dict[str, Any] | None, schedule: Any, latest_link: dict[str, Any] | None, account: str
) -> list[str]:
    """Why a month's money has not arrived, in a few short lines (pure: tested with tables)."""
    from actions.accounts import refusal_lines

    if payment is None:
        return [
            f"Dạ, {period_label(period)} chưa có khoản chi trả nào trong danh sách của Bác.",
            "Nếu Bác mới được duyệt, tiền tính từ tháng có quyết định; Bác hỏi UBND xã giúp cháu.",
        ]
    status, commune = payment["status"], schedule.commune if schedule else "xã"
    lines = [payment_line(payment, account)]
    if status in NOT_SENT_YET:
        when = f" khoảng ngày {schedule.transfer_day}" if schedule else ""
        lines.append(f"Tiền chưa chuyển đi; theo lịch của {commune}, tiền thường vào tài khoản{when}.")
    elif status == "sent_to_bank":
        lines.append("Tiền đã sang ngân hàng; Bác chờ thêm ít hôm, nếu vẫn chưa thấy thì hỏi ngân hàng giúp cháu.")
    elif status == "paid":
        lines.append("Theo hệ thống tiền đã vào tài khoản; Bác kiểm tra số dư hoặc sao kê giúp cháu.")
    elif status in ("failed", "returned"):
        if latest_link and latest_link["status"] == "refused":
            lines += refusal_lines(latest_link["reason_code"])
        else:
            lines.append("Bác kiểm tra tài khoản nhận tiền còn hoạt động và đúng tên Bác.")
        # Unpaid amounts roll over to the next payment (Điều 36 NĐ 20/2021/NĐ-CP).
        lines.append("Khoản chưa chi được sẽ chuyển sang kỳ chi trả sau, Bác không mất tiền.")
    elif status == "cash_at_commune" and schedule:
        lines.append(f"Tiền mặt chi ngày {schedule.cash_day} tại {schedule.cash_place}.")
    if status == "cash_at_commune":
        # Tạm dừng after 3 months not collected (Điều 2 Thông tư 02/2021/TT-BLĐTBXH).
        lines.append("Bác lưu ý: không nhận liên tục từ 3 tháng trở lên thì trợ cấp bị tạm dừng.")
    return lines


class ActionPrefillCommune(Action):
    """A verified person is not asked where they live: their commune comes from the registry."""

    def name(self) -> str:
        return "action_prefill_commune"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            person = await VerificationClient().person(tracker.sender_id)
        except ServiceUnavailable:
            return []
        return [SlotSet("commune", person.commune)] if person else []
