"""Identity verification (PRODUCT.md 3.2): consent, CCCD + name + birth date, then a second,
out-of-band factor — a shared Telegram contact, or an approval in VNeID. Never an OTP."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.family import check_help_request
from clients import Locked, NotFound, Refused, ServiceUnavailable, VerificationClient
from core.formatting import clock_time, vietnam_today
from core.identity import check_cccd, parse_birth_date

IDENTITY_SLOTS = ("consent", "cccd_token", "cccd_year", "full_name", "date_of_birth")
CCCD_PROBLEMS = {
    "not_12_digits": "Dạ, số CCCD có đúng 12 chữ số (in ở mặt trước thẻ). Số Bác gõ có {count} chữ số, "
    "Bác gõ lại giúp cháu.",
    "old_cmnd": "Dạ, đây là số CMND 9 số cũ. Bác gõ số CCCD hoặc thẻ Căn cước 12 số giúp cháu nhé.",
    "unknown_province": "Dạ, 3 số đầu của CCCD là mã tỉnh nơi đăng ký khai sinh, nhưng {prefix} không phải mã tỉnh. "
    "Bác xem lại số trên thẻ giúp cháu.",
}
MENU_AFTER_VERIFY = [
    {"title": "1. Tiền tháng này", "payload": "/check_payment"},
    {"title": "2. Liên kết tài khoản", "payload": "/link_account"},
    {"title": "3. Tình trạng liên kết", "payload": "/check_link_status"},
]


def reset_identity(tracker: Tracker) -> list[dict[str, Any]]:
    """Forget the answers of the identity form (only the slots that hold one)."""
    return [SlotSet(name, None) for name in IDENTITY_SLOTS if name != "consent" and tracker.get_slot(name) is not None]


def locked_message(dispatcher: CollectingDispatcher, error: Locked) -> None:
    dispatcher.utter_message(response="utter_identity_locked", until=clock_time(error.until))


def verified_events(
    dispatcher: CollectingDispatcher, tracker: Tracker, name: str, cccd_last4: str
) -> list[dict[str, Any]]:
    """Tell the person they are verified, then resume what they were asking for."""
    dispatcher.utter_message(response="utter_identity_verified", name=name, last4=cccd_last4)
    events: list[dict[str, Any]] = [SlotSet("verified", True), SlotSet("approval_id", None), *reset_identity(tracker)]
    goal = tracker.get_slot("pending_goal")
    if goal:
        return [*events, SlotSet("pending_goal", None), FollowupAction(goal)]
    dispatcher.utter_message(text="Bác muốn xem gì tiếp ạ?", buttons=MENU_AFTER_VERIFY)
    return events


class ActionStartIdentity(Action):
    """Start the identity form, unless this conversation is already verified."""

    def name(self) -> str:
        return "action_start_identity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        client = VerificationClient()
        try:
            person = await client.person(tracker.sender_id)
            consent = await client.has_consent(tracker.sender_id)
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return []
        if person is not None:
            return verified_events(dispatcher, tracker, person.full_name, person.cccd_last4)
        if consent and all(tracker.get_slot(name) for name in ("cccd_token", "full_name", "date_of_birth")):
            return [FollowupAction("action_verify_identity")]  # answers kept after "hệ thống đang bận"
        dispatcher.utter_message(response="utter_identity_intro")
        events = [*reset_identity(tracker), SlotSet("consent", True if consent else None)]
        return [*events, FollowupAction("identity_form")]


class ValidateIdentityForm(FormValidationAction):
    def name(self) -> str:
        return "validate_identity_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("consent") is False:
            return []  # declined: the form ends and nothing personal is asked
        return domain_slots

    async def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            try:
                await VerificationClient().record_consent(tracker.sender_id)
            except ServiceUnavailable:
                dispatcher.utter_message(response="utter_service_busy")
                return {"consent": None}
        return {"consent": value}

    async def validate_cccd_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if text.startswith("cccd:"):
            return {"cccd_token": text}
        digits = "".join(re.findall(r"\d", text))
        check = check_cccd(digits)
        if not check.ok:
            message = CCCD_PROBLEMS[check.problem or "not_12_digits"]
            dispatcher.utter_message(text=message.format(count=len(digits), prefix=digits[:3]))
            return {"cccd_token": None}
        try:
            token = await VerificationClient().vault(tracker.sender_id, "cccd", digits)
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return {"cccd_token": None}
        return {"cccd_token": token, "cccd_year": float(check.birth_year or 0)}

    async def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        words = str(value or "").split()
        if not 2 <= len(words) <= 7 or not all(word.isalpha() for word in words) or len(" ".join(words)) > 60:
            dispatcher.utter_message(text="Dạ, Bác gõ họ và tên đầy đủ như trên CCCD, ví dụ: Nguyễn Văn An.")
            return {"full_name": None}
        return {"full_name": " ".join(word.capitalize() for word in words)}

    async def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        born = parse_birth_date(str(value or ""), vietnam_today())
        if born is None:
            dispatcher.utter_message(text="Dạ, Bác gõ ngày sinh theo dạng ngày/tháng/năm, ví dụ: 12/3/1941.")
            return {"date_of_birth": None}
        year = int(tracker.get_slot("cccd_year") or 0)
        if year and born.year != year:
            dispatcher.utter_message(
                text=f"Dạ, năm sinh {born.year} không khớp với số CCCD (số CCCD cho năm {year}). "
                "Bác kiểm tra lại ngày sinh giúp cháu."
            )
            return {"date_of_birth": None}
        return {"date_of_birth": born.isoformat()}


class ActionVerifyIdentity(Action):
    """After the form: first factor against the registry, then ask for the second factor."""

    def name(self) -> str:
        return "action_verify_identity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if tracker.get_slot("consent") is False:
            dispatcher.utter_message(response="utter_consent_declined")
            return [*reset_identity(tracker), SlotSet("consent", None), SlotSet("pending_goal", None)]
        client, user = VerificationClient(), tracker.sender_id
        try:
            result = await client.match(
                user, tracker.get_slot("cccd_token"), tracker.get_slot("full_name"), tracker.get_slot("date_of_birth")
            )
        except Locked as error:
            locked_message(dispatcher, error)
            return reset_identity(tracker)
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy_retry_identity")
            return []  # the answers stay: "thử lại" goes straight to the check
        if not result["matched"]:
            dispatcher.utter_message(response="utter_identity_mismatch", attempts_left=result.get("attempts_left", 0))
            return reset_identity(tracker)
        if "telegram_contact" in result.get("second_factor", []):
            dispatcher.utter_message(response="utter_share_phone")
            return reset_identity(tracker)
        try:
            approval = await client.create_approval(user)
        except Locked as error:
            locked_message(dispatcher, error)
            return reset_identity(tracker)
        except Refused as error:
            if error.code != "approval_pending":
                dispatcher.utter_message(response="utter_service_busy")
                return []
            # Another chat already asked this person's VNeID: one request at a time, so nobody can
            # flood a person's phone; the first one ends within minutes.
            pending_until = error.body.get("pending_until")
            until = clock_time(pending_until) if pending_until else "ít phút nữa"
            dispatcher.utter_message(response="utter_approval_pending_elsewhere", until=until)
            return reset_identity(tracker)
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return []
        if approval.get("approval_url"):  # demo mode: the VNeID stand-in's page stands for the phone
            dispatcher.utter_message(
                response="utter_approve_in_vneid", code=approval["code"], page=approval["approval_url"]
            )
        else:  # the request went to the VNeID app of the person registered with this CCCD
            dispatcher.utter_message(response="utter_approve_in_vneid_app", code=approval["code"])
        return [*reset_identity(tracker), SlotSet("approval_id", approval["approval_id"])]


class ActionCheckSharedPhone(Action):
    """A Telegram contact the person shared of themself (the bridge sends a phone proof, not the number)."""

    def name(self) -> str:
        return "action_check_shared_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        proof = (tracker.latest_message.get("metadata") or {}).get("phone_proof")
        if not proof:
            dispatcher.utter_message(response="utter_share_phone_again")
            return []
        client = VerificationClient()
        try:
            result = await client.phone_check(tracker.sender_id, proof)
            person = await client.person(tracker.sender_id) if result["verified"] else None
        except Locked as error:
            locked_message(dispatcher, error)
            return []
        except Refused:
            dispatcher.utter_message(text="Dạ, trước khi chia sẻ số, Bác cần nhập CCCD, họ tên và ngày sinh đã ạ.")
            return [FollowupAction("action_start_identity")]
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_service_busy")
            return []
        if person is None:
            dispatcher.utter_message(response="utter_phone_mismatch", attempts_left=result.get("attempts_left", 0))
            return []
        return verified_events(dispatcher, tracker, person.full_name, person.cccd_last4)


class ActionAffirm(Action):
    """A "yes" / "xong rồi" outside any form: most often, "I approved it in VNeID"."""

    def name(self) -> str:
        return "action_affirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        approval_id = tracker.get_slot("approval_id")
        if not approval_id and tracker.get_slot("helper_request"):  # a relative waiting for a beneficiary's yes
            return await check_help_request(dispatcher, tracker)
        if not approval_id:
            dispatcher.utter_message(response="utter_affirm_without_context")
            return []
        client = VerificationClient()
        try:
            status = (await client.approval(tracker.sender_id, approval_id))["status"]
            person = await client.person(tracker.sender_id) if status == "approved" else None
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy")
            return []
        except NotFound:  # an approval that no longer exists
            status, person = "expired", None
        if person is not None:
            return verified_events(dispatcher, tracker, person.full_name, person.cccd_last4)
        if status == "pending":
            dispatcher.utter_message(response="utter_approval_pending")
            return []
        dispatcher.utter_message(response="utter_approval_failed")
        return [SlotSet("approval_id", None)]


# What the person said to end (the channel's `ending`, or the intent the NLU found) -> what the bot says.
ENDINGS = {"restart": "utter_restart", "logout": "utter_logged_out", "goodbye": "utter_goodbye"}


class ActionRestart(Action):
    """Rasa's restart, plus the end of the verified session (PRODUCT.md §6): "bắt đầu lại", "đăng
    xuất", "kết thúc", "tạm biệt". On a shared phone or an agent's browser tab, the next person
    must find neither a live session nor the previous person's half-filled answers."""

    def name(self) -> str:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        said = (tracker.latest_message.get("metadata") or {}).get("ending") or tracker.get_intent_of_latest_message()
        try:
            await VerificationClient().end_session(tracker.sender_id)
        except NotFound:
            pass  # no session: nothing to end
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_session_not_ended")
            return [Restarted()]
        dispatcher.utter_message(response=ENDINGS.get(str(said), "utter_restart"))
        return [Restarted()]
