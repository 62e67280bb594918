"""Link a bank or mobile-money account (PRODUCT.md 3.3) and explain a refusal (3.4)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.busy import answers_busy
from actions.common.buttons import choice
from actions.common.gate import verified_person
from actions.common.passing import answered_in_passing
from actions.family import ended_message, refuse_view_only, whose_data
from clients import Refused, ServiceUnavailable, VerificationClient
from core.identity import check_cccd
from core.masking import shown
from core.phones import normalise_phone
from core.rules import load_yaml
from core.text import fold_words
from core.values import WALLETS, providers

LINK_SLOTS = ("provider", "account_token", "account_last4", "link_confirmed", "carrier_warned")
DECISION_WAIT_S = 3.0  # how long the person waits for the bank's answer before we say "pending"
STATUS_TEXT = {
    "pending": "đang chờ ngân hàng kiểm tra",
    "verified": "đã liên kết thành công",
    "refused": "bị từ chối",
    "replaced": "đã được thay bằng tài khoản mới",
}


def provider_name(code: str) -> str:
    return str(providers().get(code, {}).get("name", code))


def refusal_lines(reason: str | None) -> list[str]:
    """Two short lines for a reason code: what is wrong, and what to do (core/rules/link_reasons.yaml)."""
    reasons = load_yaml("link_reasons.yaml")
    found = reasons.get(reason or "", {"title": "Ngân hàng chưa chấp nhận tài khoản này.", "next": ""})
    return [line for line in (found["title"], found["next"]) if line]


def describe(link: dict[str, Any]) -> str:
    """'Viettel Money ******5678 bị từ chối'."""
    status = STATUS_TEXT.get(link["status"], link["status"])
    return f"{provider_name(link['provider'])} {shown(link['account_last4'])} {status}"


NEXT_STEPS = [
    {"title": "1. Dùng tài khoản ngân hàng", "payload": "/link_account"},
    {"title": "2. Nhận tiền mặt ở xã", "payload": "/payment_schedule"},
    {"title": "3. Gặp tổng đài viên", "payload": "/request_human"},
]
_BACK = re.compile(r"^(quay lai|tro lai|lui lai|sua ngan hang|doi ngan hang)\b")
_AGAIN = re.compile(r"^(nhap lai|go lai|lam lai|sua lai)\b")
_DONT_KNOW = re.compile(r"\b(khong|chua|ko)\s*(biet|nho|ro)\b|\bquen\b")


def provider_in(text: str) -> str | None:
    """The bank or licensed wallet named in free text ('vietcom bak', 'ngân hàng nông nghiệp')."""
    folded = " " + " ".join(re.sub(r"[^\w\s]", " ", fold_words(text)).split()) + " "
    best: tuple[int, str] | None = None
    for code, spec in providers().items():
        names = [spec["name"], *spec.get("aliases", [])]
        words = [f"ngan hang {w}" for w in spec.get("words", [])]
        for alias in [*names, *words]:
            key = " " + fold_words(alias) + " "
            if key.strip() and key in folded and (best is None or len(key) > best[0]):
                best = (len(key), code)
    return best[1] if best else None


def account_number_in(text: str) -> str | None:
    """An account number in free text: one run of 6–20 digits (spaces, dots and dashes allowed
    inside), which is not a well-formed CCCD unless a bank is named with it."""
    for run in re.findall(r"\d[\d .\-]{4,}\d", text):
        digits = re.sub(r"\D", "", run)
        if 6 <= len(digits) <= 20:
            return digits
    return None


def reset_link(tracker: Tracker) -> list[dict[str, Any]]:
    """Forget the answers of the link form (only the slots that hold one)."""
    return [SlotSet(name, None) for name in LINK_SLOTS if tracker.get_slot(name) is not None]


class ActionAskProvider(Action):
    def name(self) -> str:
        return "action_ask_provider"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        options = [("Agribank", "bank", "AGRIBANK"), ("Vietcombank", "bank", "VCB"),
                   ("Viettel Money", "wallet", "VIETTEL_MONEY"), ("VNPT Money", "wallet", "VNPT_MONEY")]  # fmt: skip
        dispatcher.utter_message(
            text="Bác nhận tiền qua ngân hàng hay ví nào ạ? Bác chọn, hoặc gõ tên ngân hàng:",
            buttons=[choice(n, *option) for n, option in enumerate(options, start=1)],
        )
        return []


class ActionStartLink(Action):
    """link_account / change_account: verified people go on to the link form, with the bank or
    wallet and the number they already typed ("liên kết agribank số 5100…"); a wallet that cannot
    take the money (MoMo…) gets an honest answer instead."""

    def name(self) -> str:
        return "action_start_link"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        from actions.faq import wallet_answer, wallets_named

        text = str((tracker.latest_message or {}).get("text") or "")
        typed = "" if text.startswith("/") else text
        if typed and wallets_named(typed):
            dispatcher.utter_message(text=wallet_answer(typed) or "", buttons=WALLET_CHOICES)
            return []
        intent = (tracker.get_intent_of_latest_message() or "")
        provider = provider_in(typed) if typed else None
        resuming = intent not in ("link_account", "change_account")  # after verification: "xong"
        if provider is None and resuming:
            provider = tracker.get_slot("provider")
        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return [*events, SlotSet("provider", provider)]  # the bank named is kept across verification
        subject, events = await whose_data(dispatcher, tracker, person)
        if subject is None or refuse_view_only(dispatcher, subject):
            return events
        if subject.relation is not None:  # a helper links an account in the beneficiary's name
            dispatcher.utter_message(text=f"Dạ, cháu liên kết tài khoản đứng tên {subject.named}.")
        if intent == "change_account":
            dispatcher.utter_message(response="utter_change_account_intro")
        found: list[dict[str, Any]] = [*events, *reset_link(tracker), SlotSet("provider", provider)]
        number = account_number_in(typed) if typed else None
        if number and provider:
            kind = "phone" if provider in WALLETS else "account"
            phone = normalise_phone(number) if kind == "phone" else None
            value = phone.national if phone else number
            if kind == "account" or phone:
                try:
                    token = await VerificationClient().vault(tracker.sender_id, kind, value)
                    found += [SlotSet("account_token", token), SlotSet("account_last4", value[-4:])]
                except ServiceUnavailable:
                    pass
        return [*found, FollowupAction("link_form")]


WALLET_CHOICES = [
    {"title": "1. Viettel Money", "payload": '/link_account{"wallet":"VIETTEL_MONEY"}'},
    {"title": "2. VNPT Money", "payload": '/link_account{"wallet":"VNPT_MONEY"}'},
    {"title": "3. MobiFone Money", "payload": '/link_account{"wallet":"MOBIFONE_MONEY"}'},
    {"title": "4. Tài khoản ngân hàng", "payload": "/link_account"},
]


class ActionAskAccountToken(Action):
    """The number asked with the bank or wallet named: 'Bác gõ số tài khoản Agribank giúp cháu.'"""

    def name(self) -> str:
        return "action_ask_account_token"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        provider = str(tracker.get_slot("provider") or "")
        if provider in WALLETS:
            wallet = provider_name(provider)
            text = f"Bác gõ số điện thoại của ví {wallet} giúp cháu (số di động 10 số, ví dụ 0912 345 678)."
        else:
            text = f"Bác gõ số tài khoản {provider_name(provider)} giúp cháu (in trên thẻ hoặc sổ)."
        dispatcher.utter_message(text=text)
        return []


class ValidateLinkForm(FormValidationAction):
    def name(self) -> str:
        return "validate_link_form"

    @answers_busy({"provider": None})
    async def validate_provider(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        from actions.faq import wallet_answer, wallets_named

        text = str(value or "")
        code = text.upper()
        if code in providers():
            return {"provider": code}
        typed = str(tracker.latest_message.get("text") or "")
        found = provider_in(typed) or provider_in(text)
        if found:
            return {"provider": found}
        if wallets_named(typed):
            dispatcher.utter_message(text=wallet_answer(typed) or "")
            return {"provider": None}
        number = account_number_in(typed)
        if number:  # the number typed before the bank: kept, and only the bank is asked
            token = await VerificationClient().vault(tracker.sender_id, "account", number)
            kept = shown(number[-4:])
            dispatcher.utter_message(text=f"Dạ, cháu giữ số tài khoản {kept}. Tài khoản này ở ngân hàng nào ạ?")
            return {"provider": None, "account_token": token, "account_last4": number[-4:]}
        if tracker.get_slot("requested_slot") != "provider":
            return {"provider": None}  # the form is starting ("liên kết tài khoản"): the bank is asked, not refused
        if _BACK.match(fold_words(typed)):
            dispatcher.utter_message(text='Dạ, đây là bước đầu rồi ạ. Bác chọn ngân hàng, hoặc gõ "thôi" để dừng.')
            return {"provider": None}
        if _DONT_KNOW.search(fold_words(typed)):
            dispatcher.utter_message(
                text="Dạ, tên ngân hàng in trên thẻ ATM hoặc trên sổ tiết kiệm của Bác. Bác xem thẻ, hoặc hỏi con "
                "cháu giúp; chưa có tài khoản thì Bác vẫn nhận tiền mặt tại xã được."
            )
            return {"provider": None}
        if await answered_in_passing(dispatcher, tracker, domain):
            return {"provider": None}
        dispatcher.utter_message(response="utter_unknown_provider")
        return {"provider": None}

    @answers_busy({"account_token": None})
    async def validate_account_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text, provider = str(value or ""), tracker.get_slot("provider")
        if text.startswith(("account:", "phone:")):
            return {"account_token": text}
        folded = fold_words(str(tracker.latest_message.get("text") or text))
        if _BACK.match(folded):  # "quay lại": back to the bank question
            return {"account_token": None, "provider": None}
        other = provider_in(folded) if not re.search(r"\d{6}", folded) else None
        if other:  # another bank typed where the number is asked: take it, ask the number again
            return {"account_token": None, "provider": other}
        # An entity may hold only part of a number typed with spaces ("0912 345 678"): read the message too.
        typed = [text, str(tracker.latest_message.get("text") or "")]
        if not re.search(r"\d", typed[-1]) and await answered_in_passing(dispatcher, tracker, domain):
            return {"account_token": None}
        if provider in WALLETS:
            phone = next((found for found in map(normalise_phone, typed) if found), None)
            if phone is None:
                digits = "".join(re.findall(r"\d", typed[-1]))
                if len(digits) == 12 and check_cccd(digits).ok:
                    dispatcher.utter_message(
                        text="Dạ, đây giống số CCCD. Số của ví là số điện thoại di động 10 số Bác dùng để mở ví; "
                        "Bác gõ số điện thoại đó giúp cháu."
                    )
                    return {"account_token": None}
                dispatcher.utter_message(response="utter_wallet_phone_invalid")
                return {"account_token": None}
            expected = providers()[provider].get("carrier")
            # Carriers let people keep their number when they switch, so a prefix is only a hint:
            # warn once, and accept the same number typed again.
            if phone.carrier != expected and tracker.get_slot("carrier_warned") != phone.national[-4:]:
                dispatcher.utter_message(
                    response="utter_wallet_carrier_mismatch",
                    last4=phone.national[-4:],
                    carrier=phone.carrier or "khác",
                    wallet=provider_name(provider),
                    expected=expected,
                )
                return {"account_token": None, "carrier_warned": phone.national[-4:]}
            kind, number = "phone", phone.national
        else:
            numbers = ["".join(re.findall(r"\d", candidate)) for candidate in typed]
            number = next((digits for digits in numbers if 6 <= len(digits) <= 20), "")
            if not number:
                dispatcher.utter_message(response="utter_account_number_invalid")
                return {"account_token": None}
            kind = "account"
        token = await VerificationClient().vault(tracker.sender_id, kind, number)
        return {"account_token": token, "account_last4": number[-4:]}

    async def validate_link_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is False:
            dispatcher.utter_message(response="utter_link_edit")
            return {"link_confirmed": None, "provider": None, "account_token": None, "account_last4": None}
        return {"link_confirmed": value}


class ActionAskLinkConfirmed(Action):
    """The summary to confirm before anything is sent: bank or wallet and the masked number (not a
    holder's name: the bot cannot know the name the bank holds, issue 13 §5)."""

    def name(self) -> str:
        return "action_ask_link_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        person, events = await verified_person(dispatcher, tracker, "action_start_link")
        if person is None:
            return [*events, *reset_link(tracker)]
        dispatcher.utter_message(
            response="utter_ask_link_confirmed",
            provider=provider_name(tracker.get_slot("provider")),
            masked=shown(tracker.get_slot("account_last4") or ""),
        )
        return []


class ActionSubmitLink(Action):
    def name(self) -> str:
        return "action_submit_link"

    @answers_busy()  # the answers are kept: asking again submits the same request once
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        person, events = await verified_person(dispatcher, tracker, "action_start_link")
        if person is None:
            return [*events, *reset_link(tracker)]
        provider, token = tracker.get_slot("provider"), tracker.get_slot("account_token")
        client = VerificationClient()
        subject = person.subject
        if refuse_view_only(dispatcher, subject):
            return reset_link(tracker)
        try:
            link = await client.request_link(tracker.sender_id, subject.beneficiary_id, provider, token)
            waited = 0.0
            while link["status"] == "pending" and waited < DECISION_WAIT_S:
                await asyncio.sleep(0.5)
                waited += 0.5
                link = await client.link(link["id"], channel_user=tracker.sender_id)
        except Refused as error:
            if error.code in ("not_authorised", "scope_view_only"):  # revoked or narrowed since the form began
                ended_message(dispatcher, subject.named)
            else:
                dispatcher.utter_message(response="utter_link_expired_form")
            return reset_link(tracker)
        name, masked = provider_name(provider), shown(link["account_last4"])
        if link["status"] == "verified":
            dispatcher.utter_message(response="utter_link_verified", provider=name, masked=masked)
        elif link["status"] == "refused":
            dispatcher.utter_message(
                text="\n".join([f"Dạ, {name} {masked} bị từ chối:", *refusal_lines(link["reason_code"])]),
                buttons=NEXT_STEPS,
            )
        else:
            dispatcher.utter_message(response="utter_link_pending", provider=name, masked=masked)
        return reset_link(tracker)


class ActionLinkStatus(Action):
    """Where is my link request, and why was it refused (the person's own data)."""

    def name(self) -> str:
        return "action_link_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return events
        subject, events = await whose_data(dispatcher, tracker, person)
        if subject is None:
            return events
        try:
            links = await VerificationClient().links(subject.beneficiary_id, channel_user=tracker.sender_id)
        except Refused:
            ended_message(dispatcher, subject.named)
            return [*events, SlotSet("helping_name", None)]
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return events
        if not links:
            dispatcher.utter_message(response="utter_no_links")
            return events
        latest = links[0]
        asked = provider_in(str(tracker.latest_message.get("text") or ""))
        latest = next((link for link in links if link["provider"] == asked), latest)
        status, what = latest["status"], f"{provider_name(latest['provider'])} {shown(latest['account_last4'])}"
        if status == "verified":
            lines = [f"Dạ, rồi ạ: {what} đã liên kết thành công; tiền trợ cấp sẽ vào tài khoản này."]
        elif status == "pending":
            lines = [f"Dạ, chưa ạ: {what} đang chờ ngân hàng kiểm tra, chưa có kết quả. Lát nữa Bác hỏi lại nhé."]
        elif status == "refused":
            lines = [f"Dạ, chưa ạ: {what} bị từ chối.", *refusal_lines(latest["reason_code"])]
        else:
            lines = [f"Dạ, {describe(latest)}."]
        whose = subject.named if subject.relation is not None else f"Bác {subject.full_name}"
        if subject.relation is not None:
            lines[0] = f"{subject.named}: {lines[0]}"
        lines.append(f"(Thông tin của {whose}.)")
        others = [link for link in links if link is not latest][:2]
        if others:
            lines.append("Trước đó: " + "; ".join(describe(link) for link in others) + ".")
        dispatcher.utter_message(text="\n".join(lines), buttons=NEXT_STEPS if status == "refused" else [])
        return events


class ActionLinkCancel(Action):
    """ "Thôi" leaves the link form; "quay lại" (which the NLU also reads as leaving) goes back to
    the bank question and keeps the form going (issue 13 §4)."""

    def name(self) -> str:
        return "action_link_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if _BACK.match(fold_words(str((tracker.latest_message or {}).get("text") or ""))):
            back = [SlotSet(name, None) for name in ("provider", "account_token", "account_last4", "link_confirmed")]
            return [*back, FollowupAction("link_form")]
        dispatcher.utter_message(response="utter_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_link(tracker)]
