"""Identity verification (PRODUCT.md 3.2): consent, CCCD + name + birth date, then a second,
out-of-band factor — a shared Telegram contact, or an approval in VNeID. Never an OTP."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.busy import answers_busy
from actions.common.buttons import MAIN_MENU
from actions.family import check_help_request
from clients import Locked, NotFound, Refused, ServiceUnavailable, VerificationClient
from core.formatting import clock_time, vietnam_today
from core.identity import check_cccd, parse_birth_date
from core.text import fold_words

IDENTITY_SLOTS = ("consent", "cccd_token", "cccd_year", "full_name", "date_of_birth", "identity_fix", "identity_retry")
# Words that are no part of a name: "tôi không nhớ" typed where the name is asked is not a name.
NOT_NAME_WORDS = {
    "toi", "khong", "ko", "nho", "biet", "quen", "chua", "muon", "la", "cua", "gi", "sao", "nhap", "sai", "nham",
    "ten", "so", "cccd", "chau", "giup", "cho", "hoi", "roi", "nhe", "nha", "vay", "duoc", "lich",
}  # fmt: skip
_NAME_FIX = re.compile(r"\b(?:ten|ho ten|ho va ten)\b(?:\s+\w+){0,3}?\s*(?:dung\s+)?(?:la|:)\s*(.+)$")
_FORGOT = re.compile(r"\b(khong|chua|ko)\s*(nho|biet|thay|co)\b|\bquen\b|\bmat the\b")
_RESTART_ENTRY = re.compile(r"^(nhap lai|lam lai|go lai|nhap lai tu dau|thu lai)\b")
CCCD_PROBLEMS = {
    "not_12_digits": "Dạ, số CCCD có đúng 12 chữ số (in ở mặt trước thẻ). Số Bác gõ có {count} chữ số, "
    "Bác gõ lại giúp cháu.",
    "old_cmnd": "Dạ, đây là số CMND 9 số cũ. Bác gõ số CCCD hoặc thẻ Căn cước 12 số giúp cháu nhé.",
    "unknown_province": "Dạ, 3 số đầu của CCCD là mã tỉnh nơi đăng ký khai sinh, nhưng {prefix} không phải mã tỉnh. "
    "Bác xem lại số trên thẻ giúp cháu.",
}
MENU_AFTER_VERIFY = MAIN_MENU


def as_name(text: str) -> str | None:
    """'bùi văn hùng' -> 'Bùi Văn Hùng'; None when the words cannot be a full name."""
    words = re.sub(r"[^\w\s]", " ", text).split()
    if not 2 <= len(words) <= 7 or not all(word.isalpha() for word in words) or len(" ".join(words)) > 60:
        return None
    if len([word for word in words if fold_words(word) in NOT_NAME_WORDS]) > 1:
        return None
    return " ".join(word.capitalize() for word in words)


def correction(text: str, today: date) -> tuple[str, str] | None:
    """What a person retypes after "thông tin chưa khớp": ('date_of_birth', iso), ('cccd', digits),
    ('full_name', name), or ('restart', '') for "nhập lại"; None when it is none of these."""
    folded = fold_words(text)
    if text.startswith("/verify_identity") or _RESTART_ENTRY.match(folded):
        return "restart", ""
    digits = "".join(re.findall(r"\d", text))
    if len(digits) in (9, 12) and len(digits) >= len(re.sub(r"\D*$", "", text)) * 0.6:
        return "cccd", digits
    born = parse_birth_date(text, today) if re.search(r"\d", text) else None
    if born is not None:
        return "date_of_birth", born.isoformat()
    fixed = _NAME_FIX.search(folded)
    if fixed:
        start = len(text) - len(fixed.group(1))
        name = as_name(text[start:])
        if name:
            return "full_name", name
    name = as_name(text)
    return ("full_name", name) if name else None


def cccd_in(text: str) -> str | None:
    """A well-formed CCCD in a sentence ('khách hàng CCCD 080041100001 hỏi…'), dots allowed."""
    for run in re.findall(r"\d[\d .]{10,16}\d", text):
        digits = re.sub(r"\D", "", run)
        if len(digits) == 12 and check_cccd(digits).ok:
            return digits
    return None


_NAME_AFTER = re.compile(r"\b(?:ten|ho ten|ho va ten)\b(?:\s+(?:cua\s+)?\w+){0,2}?\s*(?:la|:)\s+")
_CAPITALISED_RUN = re.compile(r"(?:\b[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\s+){1,5}[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\b")
_NAME_STOP = re.compile(r"\s*(?:,|;|\.|\bsinh\b|\bcccd\b|\bcan cuoc\b|\bso\b|\bcan\b|\bmuon\b|\bnho\b|\bxac\b|\d).*$")
_PARTICLES = {"nhé", "nha", "ạ", "nhe", "nhá", "nhen", "đó", "đấy"}
NOT_NAME_START = {"xac", "khach", "kh", "toi", "chau", "bac", "cho", "em", "tro", "tien", "lien", "can", "cccd"}


def name_in(text: str) -> str | None:
    """A full name said with a request ("tên tôi là Nguyen Van An", "khách hàng Trần Thị Bình cần…"):
    after "tên … là", or a run of two to six capitalised words that is no sentence's opening verb."""
    folded = fold_words(text)
    after = _NAME_AFTER.search(folded)
    if after and len(folded) == len(text):  # folding keeps one character per character
        rest = _NAME_STOP.sub("", folded[after.end() :])
        words = text[after.end() : after.end() + len(rest)].split()
        while words and words[-1].lower() in _PARTICLES:
            words.pop()  # "tên bác là bùi văn hùng nhé"
        name = as_name(" ".join(words))
        if name:
            return name
    for run in _CAPITALISED_RUN.finditer(text):
        words = run.group(0).split()
        while words and fold_words(words[0]) in NOT_NAME_START:
            words = words[1:]
        name = as_name(" ".join(words)) if len(words) >= 2 else None
        if name:
            return name
    return None


def reset_identity(tracker: Tracker) -> list[dict[str, Any]]:
    """Forget the answers of the identity form (only the slots that hold one)."""
    return [SlotSet(name, None) for name in IDENTITY_SLOTS if name != "consent" and tracker.get_slot(name) is not None]


LOCK = timedelta(minutes=15)  # PRODUCT.md 3.2: 3 failed attempts lock verification for 15 minutes


def locked_message(dispatcher: CollectingDispatcher, error: Locked) -> None:
    dispatcher.utter_message(response="utter_identity_locked", until=clock_time(error.until))


def still_locked(tracker: Tracker) -> str | None:
    """The end of a lock this conversation was told about, while it lasts ('19:30')."""
    until = tracker.get_slot("identity_locked_until")
    if not until:
        return None
    try:
        moment = datetime.fromisoformat(str(until).removesuffix("Z"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return clock_time(moment) if moment > datetime.now(timezone.utc) else None


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

    @answers_busy()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        client = VerificationClient()
        person = await client.person(tracker.sender_id)
        consent = await client.has_consent(tracker.sender_id)
        if person is not None:
            return verified_events(dispatcher, tracker, person.full_name, person.cccd_last4)
        locked = still_locked(tracker)
        if locked:
            dispatcher.utter_message(response="utter_identity_locked", until=locked)
            return []
        answered = all(tracker.get_slot(name) for name in ("cccd_token", "full_name", "date_of_birth"))
        if consent and answered and tracker.get_slot("identity_retry") is None:
            return [FollowupAction("action_verify_identity")]  # answers kept after "hệ thống đang bận"
        dispatcher.utter_message(response="utter_identity_intro")
        events = [*reset_identity(tracker), SlotSet("consent", True if consent else None)]
        said = str((tracker.latest_message or {}).get("text") or "")
        given = cccd_in(said)
        year = check_cccd(given).birth_year if given else None
        if given:  # "xác thực cho tôi, số cccd là …": not asked again (issue 13 §2)
            try:
                token = await client.vault(tracker.sender_id, "cccd", given)
                events += [SlotSet("cccd_token", token), SlotSet("cccd_year", float(year or 0))]
            except ServiceUnavailable:
                pass
        name = name_in(said) if not said.startswith("/") else None
        if name:  # "tôi là Nguyễn Văn An, muốn xác thực", an agent's "khách hàng Trần Thị Bình …"
            events.append(SlotSet("full_name", name))
        without_numbers = re.sub(r"\d[\d .]{10,16}\d", " ", said)  # a CCCD is no date
        born = parse_birth_date(without_numbers, vietnam_today()) if re.search(r"\d", said) else None
        if born is not None and (not year or born.year == year):
            events.append(SlotSet("date_of_birth", born.isoformat()))
        return [*events, FollowupAction("identity_form")]


class ValidateIdentityForm(FormValidationAction):
    def name(self) -> str:
        return "validate_identity_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("consent") is False:
            return []  # declined: the form ends and nothing personal is asked
        fields = [slot for slot in domain_slots if slot != "identity_fix"]
        if tracker.get_slot("identity_retry") is not None:
            return ["identity_fix", *fields]  # after "chưa khớp": only what was wrong is typed again
        return fields

    async def validate_identity_fix(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer after a mismatch: the one fact typed again (a date, a CCCD, a name), or
        "nhập lại" for all three."""
        found = correction(str(value or ""), vietnam_today())
        done = {"identity_fix": None, "identity_retry": None}
        if found is None:
            dispatcher.utter_message(
                text="Dạ, Bác gõ lại phần bị sai (số CCCD, họ tên hoặc ngày sinh), hoặc bấm Nhập lại để nhập từ đầu."
            )
            return {"identity_fix": None}
        kind, fixed = found
        if kind == "restart":
            return {**done, "cccd_token": None, "cccd_year": None, "full_name": None, "date_of_birth": None}
        if kind == "cccd":
            checked = await self.validate_cccd_token(fixed, dispatcher, tracker, domain)
            return {**done, **checked} if checked.get("cccd_token") else {"identity_fix": None}
        if kind == "date_of_birth":
            checked = await self.validate_date_of_birth(fixed, dispatcher, tracker, domain)
            return {**done, **checked} if checked.get("date_of_birth") else {"identity_fix": None}
        return {**done, "full_name": fixed}

    @answers_busy({"consent": None})
    async def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            await VerificationClient().record_consent(tracker.sender_id)
        return {"consent": value}

    @answers_busy({"cccd_token": None})
    async def validate_cccd_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if text.startswith("cccd:"):
            return {"cccd_token": text}
        digits = "".join(re.findall(r"\d", text))
        if not digits and _FORGOT.search(fold_words(text)):
            dispatcher.utter_message(
                text="Dạ, số CCCD gồm 12 số, in ở mặt trước thẻ Căn cước; trong ứng dụng VNeID cũng có. "
                "Bác xem trên thẻ rồi gõ giúp cháu, hoặc nhờ con cháu đọc giúp."
            )
            return {"cccd_token": None}
        if len(digits) > 12:
            dispatcher.utter_message(
                text=f"Dạ, số Bác gõ có {len(digits)} chữ số, giống số tài khoản ngân hàng. "
                "Số CCCD có đúng 12 chữ số, in ở mặt trước thẻ; Bác gõ lại giúp cháu."
            )
            return {"cccd_token": None}
        check = check_cccd(digits)
        if not check.ok:
            message = CCCD_PROBLEMS[check.problem or "not_12_digits"]
            dispatcher.utter_message(text=message.format(count=len(digits), prefix=digits[:3]))
            return {"cccd_token": None}
        token = await VerificationClient().vault(tracker.sender_id, "cccd", digits)
        return {"cccd_token": token, "cccd_year": float(check.birth_year or 0)}

    async def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = as_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(text="Dạ, Bác gõ họ và tên đầy đủ như in trên thẻ, ví dụ: Nguyễn Văn An.")
            return {"full_name": None}
        return {"full_name": name}

    async def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        born = parse_birth_date(text, vietnam_today()) if re.search(r"\d", text) else None
        if born is None:
            found = correction(text, vietnam_today()) if _NAME_FIX.search(fold_words(text)) else None
            if found and found[0] == "full_name":  # "à nhầm, tên bác là …": the name is corrected
                dispatcher.utter_message(text=f"Dạ, cháu đã sửa họ tên thành {found[1]}.")
                return {"full_name": found[1], "date_of_birth": None}
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

    @answers_busy()  # the answers stay: asking again asks VNeID again
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
            left = int(result.get("attempts_left", 0))
            if left <= 0:  # the third failure: the lock and its end, at once (issue 13 §4)
                until = datetime.now(timezone.utc) + LOCK
                try:
                    await client.create_approval(user)
                except Locked as error:
                    until = error.until  # the service's own end of the lock
                except (ServiceUnavailable, Refused, NotFound):
                    pass
                dispatcher.utter_message(response="utter_identity_locked", until=clock_time(until))
                return [*reset_identity(tracker), SlotSet("identity_locked_until", str(until))]
            # The answers stay: the person retypes only what was wrong (identity_fix asks).
            return [SlotSet("identity_retry", float(left)), SlotSet("identity_fix", None),
                    FollowupAction("identity_form")]  # fmt: skip
        if "telegram_contact" in result.get("second_factor", []):
            dispatcher.utter_message(response="utter_share_phone")
            return reset_identity(tracker)
        try:
            approval = await client.create_approval(user)
        except Locked as error:
            locked_message(dispatcher, error)
            return reset_identity(tracker)
        except Refused as error:
            if error.code == "approval_pending":  # one request per person at a time
                pending_until = error.body.get("pending_until")
                until = clock_time(pending_until) if pending_until else "ít phút nữa"
                dispatcher.utter_message(response="utter_approval_pending_elsewhere", until=until)
            else:
                dispatcher.utter_message(response="utter_service_busy")
            return []  # the answers stay: "Thử lại" asks VNeID again
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

    @answers_busy()
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
        if person is None:
            dispatcher.utter_message(response="utter_phone_mismatch", attempts_left=result.get("attempts_left", 0))
            return []
        return verified_events(dispatcher, tracker, person.full_name, person.cccd_last4)


class ActionAffirm(Action):
    """A "yes" / "xong rồi" outside any form: most often, "I approved it in VNeID"."""

    def name(self) -> str:
        return "action_affirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        from actions.fallback import ActionClarifyIntent, looks_like_words, route_by_content

        approval_id = tracker.get_slot("approval_id")
        if not approval_id and tracker.get_slot("helper_request"):  # a relative waiting for a beneficiary's yes
            return await check_help_request(dispatcher, tracker)
        if not approval_id:
            routed = await route_by_content(dispatcher, tracker, domain)  # "ừ, thế tháng trước?": the month
            if routed is not None:
                return routed
            if not looks_like_words(str((tracker.latest_message or {}).get("text") or "")):
                return await ActionClarifyIntent().run(dispatcher, tracker, domain)
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


class ActionAskIdentityFix(Action):
    """After "thông tin chưa khớp": ask for the part that was wrong, with the attempts left."""

    def name(self) -> str:
        return "action_ask_identity_fix"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        left = int(tracker.get_slot("identity_retry") or 0)
        dispatcher.utter_message(response="utter_identity_mismatch", attempts_left=left)
        return []
