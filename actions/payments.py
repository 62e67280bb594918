"""Payments (PRODUCT.md 3.5): a commune's schedule, a person's payments by month, and why a
month's money has not arrived — all answered from the payment service's database."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.busy import answers_busy
from actions.common.gate import verified_person
from actions.family import ended_message, whose_data
from clients import PaymentClient, Refused, ServiceUnavailable, VerificationClient
from core.eligibility.understanding import understand
from core.formatting import money, vietnam_today
from core.periods import month_said, months_in_digits, period_for, period_label, shift
from core.text import fold_words, teencode

MAX_COMMUNE_CHARS = 60


def expand_teencode(text: str) -> str:
    """'t9 co tien chua' stays; 'thg 9' -> 'tháng 9': teencode words replaced by their standard form."""
    table = teencode()
    return " ".join(table.get(word.lower(), word) for word in text.split())


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

    @answers_busy()  # the commune is kept for the next try
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        commune = tracker.get_slot("commune")
        found = await PaymentClient().schedules(commune)
        if not found:
            dispatcher.utter_message(response="utter_schedule_not_found", commune=commune)
            return [SlotSet("commune", None)]
        return [*await tell_schedules(dispatcher, found), SlotSet("commune", None)]


PROGRAM_NAMES = {"BTXH": "trợ cấp xã hội", "HTXH": "trợ cấp hưu trí xã hội", "NCC": "trợ cấp người có công"}
# The steps along the way, told only when asked ("nói rõ từng bước"): office words stay out of answers.
STATUS_NAMES = {
    "listed": "xã đã lập danh sách chi trả",
    "approved": "danh sách đã được duyệt",
    "sent_to_treasury": "tiền đã chuyển qua Kho bạc",
    "sent_to_bank": "tiền đã chuyển sang ngân hàng",
    "paid": "tiền đã vào tài khoản",
    "failed": "chuyển vào tài khoản không thành công",
    "returned": "ngân hàng trả lại tiền",
    "cash_at_commune": "chi tiền mặt tại xã",
}
NOT_SENT_YET = {"listed", "approved", "sent_to_treasury"}
PIPELINE = ["listed", "approved", "sent_to_treasury", "sent_to_bank", "paid"]


def receiving_account(links: list[dict[str, Any]]) -> str:
    """'Agribank ****1234' for the verified link, or '' when payments are not to an account."""
    from actions.accounts import provider_name
    from core.masking import shown

    verified = next((link for link in links if link["status"] == "verified"), None)
    return f"{provider_name(verified['provider'])} {shown(verified['account_last4'])}" if verified else ""


def _day(payment: dict[str, Any]) -> str:
    when = date.fromisoformat(payment["status_date"])
    return f"{when.day}/{when.month}"


def _month(period: str) -> str:
    """'2026-03' -> 'tháng 3/2026'."""
    return period_label(period)


def payment_line(payment: dict[str, Any], account: str) -> str:
    """'Tháng 11/2026, trợ cấp xã hội: 500.000 ₫ — tiền đã vào tài khoản ngày 5/11 (Agribank ****1234).'"""
    where = f" ({account})" if account and payment["channel"] != "cash" else ""
    program = PROGRAM_NAMES.get(payment["program"], payment["program"])
    return (
        f"{_month(payment['period']).capitalize()}, {program}: "
        f"{money(payment['amount_vnd'])} — {STATUS_NAMES.get(payment['status'], payment['status'])} "
        f"ngày {_day(payment)}{where}."
    )


def lead(payment: dict[str, Any], account: str, schedule: Any) -> str:
    """The first line: yes or no first, in a person's words (issue 13 §3)."""
    month = _month(payment["period"])
    program = PROGRAM_NAMES.get(payment["program"], payment["program"])
    what = f"{program} {money(payment['amount_vnd'])}"
    into = f"tài khoản {account}" if account else "tài khoản"
    status = payment["status"]
    if status == "paid":
        if payment["channel"] == "cash":
            return f"Dạ, rồi ạ. Tiền {month} ({what}) Bác đã nhận ngày {_day(payment)}."
        return f"Dạ, rồi ạ. Tiền {month} ({what}) đã vào {into} ngày {_day(payment)}."
    if status in NOT_SENT_YET:
        when = f" khoảng ngày {schedule.transfer_day}/{int(payment['period'][5:])}" if schedule else " trong tháng"
        return f"Dạ, chưa ạ. Tiền {month} ({what}) chưa chuyển đi; dự kiến vào {into}{when}."
    if status == "sent_to_bank":
        return f"Dạ, chưa ạ. Tiền {month} ({what}) đã sang ngân hàng ngày {_day(payment)}, sắp vào {into}."
    if status == "failed":
        return f"Dạ, chưa ạ. Tiền {month} ({what}) chuyển vào tài khoản không thành công ngày {_day(payment)}."
    if status == "returned":
        return f"Dạ, chưa ạ. Tiền {month} ({what}) bị ngân hàng trả lại ngày {_day(payment)}."
    if status == "cash_at_commune":
        place = f" ngày {schedule.cash_day} tại {schedule.cash_place}" if schedule else " tại xã"
        return f"Dạ, tiền {month} ({what}) Bác nhận bằng tiền mặt{place}."
    return payment_line(payment, account)


def explain(
    period: str, payment: dict[str, Any] | None, schedule: Any, latest_link: dict[str, Any] | None, account: str
) -> list[str]:
    """A month's money in a few short lines: yes or no first, then why and what to do (pure: tested
    with tables)."""
    from actions.accounts import refusal_lines

    if payment is None:
        return [
            f"Dạ, chưa ạ. {_month(period).capitalize()} chưa có khoản chi trả nào trong danh sách của Bác.",
            "Nếu Bác mới được duyệt, tiền tính từ tháng có quyết định; Bác hỏi UBND xã giúp cháu.",
        ]
    status, commune = payment["status"], schedule.commune if schedule else "xã"
    lines = [lead(payment, account, schedule)]
    if status in NOT_SENT_YET:
        when = f" khoảng ngày {schedule.transfer_day}" if schedule else ""
        lines.append(f"Theo lịch của {commune}, tiền thường vào tài khoản{when} hằng tháng.")
    elif status == "sent_to_bank":
        lines.append("Bác chờ thêm ít hôm; nếu vẫn chưa thấy thì hỏi ngân hàng giúp cháu.")
    elif status == "paid" and payment["channel"] != "cash":
        lines.append("Nếu Bác chưa thấy, Bác kiểm tra số dư hoặc sao kê giúp cháu.")
    elif status in ("failed", "returned"):
        if latest_link and latest_link["status"] == "refused":
            reason = refusal_lines(latest_link["reason_code"])
            lines += ["Lý do: " + reason[0], *reason[1:]]
        else:
            lines.append("Bác xem tài khoản nhận tiền còn hoạt động và đúng tên Bác, hoặc liên kết tài khoản khác.")
        # Unpaid amounts roll over to the next payment (Điều 36 NĐ 20/2021/NĐ-CP).
        lines.append("Khoản chưa chi được sẽ chuyển sang kỳ chi trả sau, Bác không mất tiền.")
    elif status == "cash_at_commune" and schedule:
        lines.append(f"Tiền mặt chi ngày {schedule.cash_day} tại {schedule.cash_place}.")
    if status == "cash_at_commune":
        # Tạm dừng after 3 months not collected (Điều 2 Thông tư 02/2021/TT-BLĐTBXH).
        lines.append("Bác lưu ý: không nhận liên tục từ 3 tháng trở lên thì trợ cấp bị tạm dừng.")
    return lines


def steps_lines(payment: dict[str, Any]) -> list[str]:
    """The steps the money goes through, only on request ("nói rõ từng bước")."""
    status = payment["status"]
    reached = PIPELINE.index(status) if status in PIPELINE else len(PIPELINE) - 1
    lines = [f"Các bước của tiền {_month(payment['period'])}:"]
    for index, step in enumerate(PIPELINE):
        mark = "✓" if index <= reached and status in PIPELINE else "…"
        lines.append(f"{mark} {STATUS_NAMES[step].capitalize()}")
    if status not in PIPELINE:
        lines.append(f"Hiện tại: {STATUS_NAMES.get(status, status)} ngày {_day(payment)}.")
    return lines


def month_buttons(period: str, payment: dict[str, Any] | None) -> list[dict[str, str]]:
    """Buttons that carry the month they are about (issue 13 §3)."""
    month = int(period[5:])
    year, before = shift(date(int(period[:4]), month, 1), -1)
    paid = payment is not None and payment["status"] == "paid"
    why = f"1. Sao tiền tháng {month} chưa thấy?" if paid else f"1. Vì sao tháng {month} chưa có?"
    return [
        {"title": why, "payload": f'/report_missing_payment{{"month":"{month}"}}'},
        {"title": f"2. Xem tháng {before}/{year}", "payload": f'/check_payment{{"month":"{before}"}}'},
    ]


def asked_period(tracker: Tracker, today: date) -> str | None:
    """The month this message names ('tháng trước đó' against the month last talked about), or the
    month a button carried, or None."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    anchor = tracker.get_slot("last_period")
    if not text.startswith("/"):
        found = month_said(fold_words(expand_teencode(months_in_digits(text))), today, anchor)
        if found:
            return found
    value = next((e.get("value") for e in message.get("entities") or [] if e.get("entity") == "month"), None)
    value = value or tracker.get_slot("month")
    return period_for(str(value), today) if value else None


def period_of(tracker: Tracker, today: date, follow_up: bool) -> str:
    """The period to answer: the one named, else (after verification, "sao chưa nhận được") the month
    last talked about, else this month."""
    named = asked_period(tracker, today)
    if named:
        return named
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if (follow_up or intent not in ("check_payment", "report_missing_payment")) and tracker.get_slot("last_period"):
        return str(tracker.get_slot("last_period"))
    return period_for(None, today)


async def payments_and_links(
    person: Any, period: str, channel_user: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The person's payments of one period and their link history (newest first), read through the
    channel user's verified session."""
    payments = await PaymentClient().payments(person.beneficiary_id, period, channel_user=channel_user)
    links = await VerificationClient().links(person.beneficiary_id, channel_user=channel_user)
    return payments, links


async def answer_month(
    dispatcher: CollectingDispatcher, tracker: Tracker, name: str, follow_up: bool
) -> list[dict[str, Any]]:
    """Check a month's money, or explain why it has not come: one answer, yes or no first, about the
    person the conversation is about (the person typing, or whom a relative helps)."""
    period = period_of(tracker, vietnam_today(), follow_up)
    person, events = await verified_person(dispatcher, tracker, name)
    if person is None:
        return [*events, SlotSet("last_period", period), SlotSet("month", None)]
    subject, events = await whose_data(dispatcher, tracker, person)
    if subject is None:
        return events
    return await tell_payments(dispatcher, tracker, subject, events, follow_up)


async def tell_payments(
    dispatcher: CollectingDispatcher, tracker: Tracker, subject: Any, events: list[dict[str, Any]],
    follow_up: bool = False,
) -> list[dict[str, Any]]:
    """The month's payments of `subject`, named when a relative asks ("Bà Trần Thị Bình: Dạ, rồi ạ ...")."""
    period = period_of(tracker, vietnam_today(), follow_up)
    try:
        payments, links = await payments_and_links(subject, period, tracker.sender_id)
        schedules = await PaymentClient().schedules(subject.commune, subject.province)
    except Refused:  # the authorisation ended between two calls
        ended_message(dispatcher, subject.named)
        return [*events, SlotSet("helping_name", None)]
    except ServiceUnavailable:
        dispatcher.utter_message(response="utter_service_busy")
        return events
    payment = payments[0] if payments else None
    lines = explain(period, payment, schedules[0] if schedules else None, links[0] if links else None,
                    receiving_account(links))  # fmt: skip
    if steps_asked(tracker) and payment:
        lines = [lines[0], *steps_lines(payment)]
    for other in payments[1:]:
        lines.append(payment_line(other, receiving_account(links)))
    if subject.relation is not None:  # a relative asks: every answer names whose money it is
        lines[0] = f"{subject.named}: {lines[0]}"
        lines.append(f"(Thông tin của {subject.named}, CCCD đuôi {subject.cccd_last4}.)")
    else:
        lines.append(f"(Thông tin của Bác {subject.full_name}, CCCD đuôi {subject.cccd_last4}.)")
    dispatcher.utter_message(text="\n".join(lines), buttons=month_buttons(period, payment))
    return [*events, SlotSet("month", None), SlotSet("last_period", period)]


def steps_asked(tracker: Tracker) -> bool:
    text = fold_words(str((tracker.latest_message or {}).get("text") or ""))
    return bool(re.search(r"tung buoc|cac buoc|noi ro|chi tiet|buoc nao", text))


SITUATION_FACTS = ("disability_level", "merit_group", "age", "birth_year", "orphan_situation", "is_single_parent")


def describes_a_situation(text: str) -> bool:
    """Whether a message describes someone's situation (an age, a disability, a group): a pre-check question."""
    facts = understand(text, vietnam_today()).facts
    return any(fact in facts for fact in SITUATION_FACTS)


class ActionCheckPayment(Action):
    """Payments of the month asked ("tháng này", "tháng 3", "t9", "tháng trước đó"; this month if none)."""

    def name(self) -> str:
        return "action_check_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = str((tracker.latest_message or {}).get("text") or "")
        if not text.startswith("/") and describes_a_situation(text) and asked_period(tracker, vietnam_today()) is None:
            from actions.eligibility import start  # eligibility imports this module

            # "con 5t kt dbn bn tien": how much such a person gets, not this person's payments
            return [*await start(dispatcher, tracker), FollowupAction("eligibility_form")]
        if not await verified_or_none(tracker):
            found = await commune_named(tracker)
            if found:  # "bao giờ có tiền, bác ở xã Quảng Phú": the commune's schedule needs no login
                return await tell_schedules(dispatcher, found)
        return await answer_month(dispatcher, tracker, self.name(), follow_up=False)


class ActionExplainMissingPayment(Action):
    """ "Vì sao tháng này chưa nhận": answered from the person's own payment, link and commune schedule."""

    def name(self) -> str:
        return "action_explain_missing_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await answer_month(dispatcher, tracker, self.name(), follow_up=True)


async def verified_or_none(tracker: Tracker) -> Any:
    try:
        return await VerificationClient().person(tracker.sender_id)
    except ServiceUnavailable:
        return None


# ------------------------------------------------------------------ communes named in a message

_UNIT = re.compile(r"\b(?:xa|phuong|thi tran|dac khu)\s+(.+)$")
_STOP = {
    "thi", "la", "co", "bao", "may", "khi", "nao", "ngay", "vay", "a", "nhe", "chau", "em", "con", "phat", "tra",
    "nhan", "tien", "lich", "chi", "cua", "o", "thang", "giup", "cho", "hoi", "the", "nha", "di", "voi", "roi",
}  # fmt: skip


def commune_candidates(text: str) -> list[str]:
    """Names that may follow 'xã/phường/thị trấn' in a message, longest first: 'o phuong ba dinh thi
    may ngay' -> ['ba dinh', 'ba']."""
    folded = " ".join(re.sub(r"[^\w\s]", " ", fold_words(text)).split())
    found = _UNIT.search(folded)
    if not found:
        return []
    words = found.group(1).split()
    taken: list[str] = []
    for word in words[:4]:
        if word.isdigit() or (not taken and word in _STOP):
            break
        taken.append(word)
    return [" ".join(taken[:n]) for n in range(len(taken), 0, -1)]


async def commune_named(tracker: Tracker) -> list[Any]:
    """The schedules of a commune named in the latest message ('lịch chi trả xã Tân Phú')."""
    text = str((tracker.latest_message or {}).get("text") or "")
    for candidate in commune_candidates(text):
        try:
            found = await PaymentClient().schedules(candidate)
        except ServiceUnavailable:
            return []
        if found:
            return found
    return []


async def tell_schedules(dispatcher: CollectingDispatcher, found: list[Any]) -> list[dict[str, Any]]:
    for schedule in found[:2]:
        dispatcher.utter_message(text=schedule_text(schedule))
    return [SlotSet("known_commune", found[0].commune)]


def schedule_text(schedule: Any) -> str:
    return (
        f"Dạ, {schedule.commune} ({schedule.province}): tiền vào tài khoản khoảng ngày {schedule.transfer_day} "
        f"hằng tháng. Nhận tiền mặt ngày {schedule.cash_day} tại {schedule.cash_place}."
    )


class ActionPrefillCommune(Action):
    """A verified person is not asked where they live: their commune comes from the registry."""

    def name(self) -> str:
        return "action_prefill_commune"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        found = await commune_named(tracker)
        if found:  # "lịch chi trả xã Tân Phú": the commune is in the question
            return [SlotSet("commune", found[0].commune)]
        if tracker.get_slot("known_commune"):
            return [SlotSet("commune", tracker.get_slot("known_commune"))]
        try:
            person = await VerificationClient().person(tracker.sender_id)
        except ServiceUnavailable:
            return []
        return [SlotSet("commune", person.commune)] if person else []


class ActionPaymentScheduleNamed(Action):
    """The schedule of the commune just named ("ở phường Ninh Kiều"), kept for the next question."""

    def name(self) -> str:
        return "action_payment_schedule_named"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        found = await commune_named(tracker)
        if not found:
            dispatcher.utter_message(response="utter_help")
            return []
        return await tell_schedules(dispatcher, found)


class ActionScheduleInPassing(Action):
    """A schedule question in the middle of another form: answered if the commune is named (or
    known), without leaving the form; otherwise the person is told to ask once the form is done."""

    def name(self) -> str:
        return "action_schedule_in_passing"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        found = await commune_named(tracker)
        if not found and tracker.get_slot("known_commune"):
            try:
                found = await PaymentClient().schedules(str(tracker.get_slot("known_commune")))
            except ServiceUnavailable:
                found = []
        if found:
            return await tell_schedules(dispatcher, found)
        dispatcher.utter_message(text='Dạ, xong bước này Bác nhắn "lịch chi trả" kèm tên xã, cháu xem giúp ngay.')
        return []
