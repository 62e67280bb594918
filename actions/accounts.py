"""Link a bank or mobile-money account (PRODUCT.md 3.3) and explain a refusal (3.4)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.buttons import choice
from actions.common.gate import verified_person
from actions.family import ended_message, refuse_view_only, whose_data
from clients import Refused, ServiceUnavailable, VerificationClient
from core.masking import shown
from core.phones import normalise_phone
from core.rules import load_yaml
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
    """link_account / change_account: verified people go on to the link form."""

    def name(self) -> str:
        return "action_start_link"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return events
        subject, events = await whose_data(dispatcher, tracker, person)
        if subject is None or refuse_view_only(dispatcher, subject):
            return events
        if subject.relation is not None:  # a helper links an account in the beneficiary's name
            dispatcher.utter_message(text=f"Dạ, cháu liên kết tài khoản đứng tên {subject.named}.")
        if tracker.get_intent_of_latest_message() == "change_account":
            dispatcher.utter_message(response="utter_change_account_intro")
        return [*events, *reset_link(tracker), FollowupAction("link_form")]


class ValidateLinkForm(FormValidationAction):
    def name(self) -> str:
        return "validate_link_form"

    async def validate_provider(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = str(value or "").upper()
        if code not in providers():
            dispatcher.utter_message(response="utter_unknown_provider")
            return {"provider": None}
        return {"provider": code}

    async def validate_account_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text, provider = str(value or ""), tracker.get_slot("provider")
        if text.startswith(("account:", "phone:")):
            return {"account_token": text}
        # An entity may hold only part of a number typed with spaces ("0912 345 678"): read the message too.
        typed = [text, str(tracker.latest_message.get("text") or "")]
        if provider in WALLETS:
            phone = next((found for found in map(normalise_phone, typed) if found), None)
            if phone is None:
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
        try:
            token = await VerificationClient().vault(tracker.sender_id, kind, number)
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return {"account_token": None}
        return {"account_token": token, "account_last4": number[-4:]}

    async def validate_link_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is False:
            dispatcher.utter_message(response="utter_link_edit")
            return {"link_confirmed": None, "provider": None, "account_token": None, "account_last4": None}
        return {"link_confirmed": value}


class ActionAskLinkConfirmed(Action):
    """The summary to confirm before anything is sent: bank, masked number, holder name."""

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
            holder=person.subject.full_name.upper(),
        )
        return []


class ActionSubmitLink(Action):
    def name(self) -> str:
        return "action_submit_link"

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
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return []  # the answers are kept: asking again submits the same request once
        name, masked = provider_name(provider), shown(link["account_last4"])
        if link["status"] == "verified":
            dispatcher.utter_message(response="utter_link_verified", provider=name, masked=masked)
        elif link["status"] == "refused":
            dispatcher.utter_message(
                text="\n".join([f"Dạ, {name} {masked} bị từ chối:", *refusal_lines(link["reason_code"])])
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
        lines = [f"{subject.named}: yêu cầu gần nhất ({describe(latest)})."]
        if latest["status"] == "refused":
            lines += refusal_lines(latest["reason_code"])
        if len(links) > 1:
            lines.append("Trước đó: " + "; ".join(describe(link) for link in links[1:3]) + ".")
        refused = latest["status"] == "refused"
        buttons = [{"title": "1. Liên kết tài khoản khác", "payload": "/link_account"}] if refused else []
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return events
