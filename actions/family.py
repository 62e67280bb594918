"""Family helpers (PRODUCT.md 3.7): a relative, verified as themself, asks to help a beneficiary;
the beneficiary approves in their own VNeID (or staff record a paper giấy ủy quyền); then the
relative reads for them — and with the "act" scope links an account in their name and gets their
payment messages — and every reply names whose data it is ("Bà Trần Thị Bình: ..."). The
beneficiary asks who looked ("ai đã xem thông tin của tôi?") and revokes. The verification
service checks the authorisation on every call; these actions only ask, choose and word.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common.busy import answers_busy
from actions.common.buttons import choice
from clients import Locked, Person, Refused, ServiceUnavailable, VerificationClient
from core.formatting import VIETNAM, clock_time, vietnam_today
from core.identity import check_cccd, parse_birth_date
from core.rules import load_yaml
from core.text import fold_words

FORM_SLOTS = ("helped_cccd_token", "helped_cccd_year", "helped_name", "helped_birth_date", "helped_scope")
# Relations offered as buttons when the person does not say whom they help (the rest can be typed).
OFFERED = (("Mẹ", "mother"), ("Bố", "father"), ("Ông/Bà", "grandmother"), ("Người thân khác", "other"))
# The beneficiary's side: the helper is their ... (the inverse of the authorisation's relation).
HELPER_IS = {"mother": "con", "father": "con", "grandmother": "cháu", "grandfather": "cháu", "aunt_uncle": "cháu",
             "spouse": "vợ/chồng", "sibling": "anh/chị/em", "child": "bố/mẹ", "grandchild": "ông/bà",
             "other": "người thân"}  # fmt: skip
# "Thu hồi ủy quyền của con tôi": the beneficiary names the helper; which authorisations that can mean.
NAMED_HELPER = {"child": {"mother", "father"}, "grandchild": {"grandmother", "grandfather", "aunt_uncle"},
                "spouse": {"spouse"}, "sibling": {"sibling"}, "mother": {"child"}, "father": {"child"},
                "grandmother": {"grandchild"}, "grandfather": {"grandchild"}, "aunt_uncle": {"aunt_uncle"}}  # fmt: skip
SCOPE_TEXT = {"view": "chỉ xem thông tin", "act": "xem và làm thủ tục"}
USES = {"payments_read": "xem tiền trợ cấp", "links_read": "xem tình trạng liên kết",
        "link_requested": "gửi yêu cầu liên kết tài khoản", "subscribed": "đăng ký nhận tin báo tiền"}  # fmt: skip
OWN = re.compile(r"\b(cua|cho) (toi|minh|tui|tao|bac)\b|^(toi|minh|tui)$")
# "Bác muốn ủy quyền cho con trai": the beneficiary asks how to let someone help (not to help someone).
GRANTING = re.compile(r"\buy quyen cho\b|\bcho (con|chau|nguoi nha)\b.*\b(xem|nhan|lam)\b.*\bthay\b")


def relations() -> dict[str, Any]:
    return dict(load_yaml("wording.yaml")["relations"])


def who(relation: str | None) -> str:
    """How prompts name the person helped: 'mẹ Bác', 'ông/bà Bác', 'người thân của Bác'."""
    display = relations().get(relation or "", {}).get("display")
    return f"{display} Bác" if display else "người thân của Bác"


def relation_of(text: str) -> str | None:
    """A relation typed in words ('má', 'ba', 'bà nội'), longest words first; as typed with its marks
    first ('bà' is not 'ba'), then without them. None if none."""
    pairs = [(word, key) for key, item in relations().items() for word in item.get("words", [])
             if key not in ("customer", "self")]  # fmt: skip
    for fold_it in (lambda value: " ".join(value.lower().split()), fold_words):
        typed = f" {fold_it(text)} "
        for word, key in sorted(((fold_it(w), k) for w, k in pairs), key=lambda pair: -len(pair[0])):
            if f" {word} " in typed:
                return str(key)
    return None


# "con gái muốn xem tiền của mẹ": the typer names themselves first; the person helped comes after.
TYPER_FIRST = re.compile(r"^(con|con gai|con trai|chau|em|minh|toi)\s+(muon|dinh|xin|can|dang)\b")
# Two people at once, named as typed: "bố mẹ tôi", "ông bà".
PAIRS = {"bo me": "bố mẹ", "ba me": "ba mẹ", "cha me": "cha mẹ", "ba ma": "ba má", "ong ba": "ông bà"}


# The relations a relative typing on the verified person's own phone calls that person, by the registry gender.
OWNER_RELATIONS = {"F": {"mother", "grandmother"}, "M": {"father", "grandfather"}}
# Registry groups of people nobody calls "mẹ"/"bố": not a beneficiary, or a child's own allowance.
NOT_A_PARENT = {"", "NONE", "BTXH_K1", "BTXH_K2", "BTXH_K3"}


def may_be_owner(person: Person, relation: str, helping: list[Person]) -> bool:
    """ "Tiền của mẹ em về chưa" typed in the mother's own verified session: a son or daughter typing
    for her on her phone, not a helper asking for someone else. True when the verified person is a
    beneficiary (a helper who receives nothing is asking for someone else), helps nobody and is of
    the relation's gender; the answer then names whose data it is, as every answer does."""
    if helping or person.helping is not None or person.group_code in NOT_A_PARENT:
        return False
    return relation in OWNER_RELATIONS.get(person.gender, set())


def said_relation(tracker: Tracker) -> str | None:
    text = fold_words(str(tracker.latest_message.get("text") or ""))
    if (typer := TYPER_FIRST.match(text)) and (after := relation_of(text[typer.end() :])):
        return after
    value = next(tracker.get_latest_entity_values("relation"), None)
    return str(value) if value and value not in ("self", "customer") else None


def pair_said(tracker: Tracker) -> str | None:
    """'bố mẹ', 'ông bà' when the message names two people together, as they are written."""
    text = f" {fold_words(str(tracker.latest_message.get('text') or ''))} "
    return next((words for folded, words in PAIRS.items() if f" {folded} " in text), None)


def says_own(tracker: Tracker) -> bool:
    """ "của tôi", "cho mình": the person means their own data."""
    return bool(OWN.search(fold_words(str(tracker.latest_message.get("text") or ""))))


def menu(subject: Person) -> list[dict[str, str]]:
    buttons = [{"title": "1. Tiền tháng này", "payload": "/check_payment"},
               {"title": "2. Tình trạng liên kết", "payload": "/check_link_status"}]  # fmt: skip
    if subject.scope == "act":
        buttons.append({"title": "3. Liên kết tài khoản", "payload": "/link_account"})
    return buttons


def chosen_events(subject: Person) -> list[dict[str, Any]]:
    """Remember in the conversation that a choice was made, and whose (for "ủy quyền đã hết")."""
    return [SlotSet("person_chosen", True), SlotSet("helping_name", subject.named if subject.relation else None)]


# The questions that may be about someone else: the list's buttons ask the same question again, naming whom.
ASKED_AGAIN = ("check_payment", "report_missing_payment", "check_link_status", "link_account", "change_account")


def offer_people(dispatcher: CollectingDispatcher, tracker: Tracker, active: list[Person]) -> None:
    """ "Của ai?": the buttons repeat the question with the person chosen (no follow-up chain to lose)."""
    intent = tracker.get_intent_of_latest_message()
    intent = intent if intent in ASKED_AGAIN else "choose_person"
    buttons = [{"title": "1. Của Bác", "payload": f'/{intent}{{"helped":"self"}}'}]
    for number, helped in enumerate(active[:3], start=2):
        label = relations().get(helped.relation or "", {}).get("display") or "người thân"
        buttons.append({"title": f"{number}. {helped.named} ({label})",
                        "payload": f'/{intent}{{"helped":"{helped.beneficiary_id}"}}'})  # fmt: skip
    dispatcher.utter_message(text="Dạ, Bác muốn xem thông tin của ai ạ?", buttons=buttons)


def ended_message(dispatcher: CollectingDispatcher, name: str | None) -> None:
    whose = f"của {name} " if name else ""
    dispatcher.utter_message(
        text=f"Dạ, ủy quyền {whose}đã hết hạn hoặc đã bị thu hồi nên cháu không xem được thông tin đó nữa. "
        'Bác muốn xem của mình thì nhắn "của tôi".'
    )


@answers_busy((None, []))
async def whose_data(
    dispatcher: CollectingDispatcher, tracker: Tracker, person: Person
) -> tuple[Person | None, list[dict[str, Any]]]:
    """Whose data a question is about: a button of the list, said ("của mẹ", "của tôi"), chosen
    earlier (the session remembers), or asked when the person helps someone. None, with what to do,
    when it cannot be answered now (a list offered, an authorisation that ended or never was)."""
    client, user = VerificationClient(), tracker.sender_id
    relation = said_relation(tracker)
    picked = str(next(tracker.get_latest_entity_values("helped"), "") or "")
    try:
        if picked:  # a revoked helper's old button is refused by the service
            wanted = None if picked == "self" or not picked.isdigit() else int(picked)
            subject = (await client.set_helping(user, wanted)).subject
            return subject, chosen_events(subject)
        if relation:
            helping, _ = await client.helpers(user)
            active = [h for h in helping if h.state == "active" and h.relation == relation]
            if len(active) == 1:
                subject = (await client.set_helping(user, active[0].beneficiary_id)).subject
                return subject, chosen_events(subject)
            if active:
                offer_people(dispatcher, tracker, active)
                return None, []
            pending = next((h for h in helping if h.relation == relation), None)
            if pending is not None:
                dispatcher.utter_message(text=f"Dạ, yêu cầu giúp {who(relation)} đang chờ {pending.named} "
                                         f"đồng ý trong VNeID (mã {pending.code}).")  # fmt: skip
                return None, []
            if may_be_owner(person, relation, helping):
                return person, chosen_events(person)
            dispatcher.utter_message(
                text=f"Dạ, Bác chưa được {who(relation)} ủy quyền nên cháu chưa xem được thông tin của "
                f"{who(relation)}. Bác muốn gửi yêu cầu ủy quyền không ạ?",
                buttons=[{"title": "1. Gửi yêu cầu", "payload": f'/help_relative{{"relation":"{relation}"}}'}],
            )
            return None, []
        if says_own(tracker):
            subject = await client.set_helping(user, None) if person.helping else person
            return subject, chosen_events(subject)
        if person.helping is not None:
            return person.helping, [SlotSet("helping_name", person.helping.named)]
        if tracker.get_slot("helping_name"):  # was helping someone: revoked or expired since
            ended_message(dispatcher, tracker.get_slot("helping_name"))
            return None, [SlotSet("helping_name", None), SlotSet("person_chosen", None)]
        if tracker.get_slot("person_chosen"):
            return person, []
        helping, _ = await client.helpers(user)
        active = [h for h in helping if h.state == "active"]
        if not active:
            return person, []
        offer_people(dispatcher, tracker, active)
        return None, []
    except Refused:
        ended_message(dispatcher, None)
        return None, [SlotSet("helping_name", None)]


def refuse_view_only(dispatcher: CollectingDispatcher, subject: Person) -> bool:
    """True (and says why) when the helper may only read for this person."""
    if subject.relation is None or subject.scope == "act":
        return False
    dispatcher.utter_message(
        text=f"Dạ, {subject.named} mới ủy quyền cho Bác xem thông tin, chưa cho làm thủ tục. Muốn liên kết "
        f"tài khoản hay nhận tin báo tiền cho {subject.named}, Bác gửi lại yêu cầu với quyền "
        '"xem và làm thủ tục" để người được giúp đồng ý.',
        buttons=[{"title": "1. Gửi lại yêu cầu", "payload": f'/help_relative{{"relation":"{subject.relation}"}}'}],
    )
    return True


def reset_form(tracker: Tracker) -> list[dict[str, Any]]:
    return [SlotSet(name, None) for name in FORM_SLOTS if tracker.get_slot(name) is not None]


class ActionHelpRelative(Action):
    """ "Tôi muốn xem tiền của mẹ tôi": verify the relative as themself, then their authorisation
    for that person (answer at once), a pending one, or the form that asks for it."""

    def name(self) -> str:
        return "action_help_relative"

    @answers_busy()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if GRANTING.search(fold_words(str(tracker.latest_message.get("text") or ""))):
            dispatcher.utter_message(
                text="Dạ, để con cháu giúp Bác: người đó nhắn cho cháu trên điện thoại của họ, ví dụ "
                '"tôi muốn xem tiền của mẹ tôi". Cháu sẽ gửi yêu cầu tới ứng dụng VNeID của Bác, Bác bấm Đồng ý '
                "là xong. Bác không dùng điện thoại thông minh thì làm giấy ủy quyền ở UBND xã/phường. "
                'Bác xem hay thu hồi người được ủy quyền bằng cách nhắn "ai đã xem thông tin của tôi".'
            )
            return []
        relation = said_relation(tracker) or tracker.get_slot("helped_relation")
        remember = [SlotSet("helped_relation", relation), SlotSet("helped_who", who(relation))] if relation else []
        client, user = VerificationClient(), tracker.sender_id
        person = await client.person(user)
        if person is None:
            if relation or pair_said(tracker):
                whom = f"{pair_said(tracker)} Bác" if pair_said(tracker) else who(relation)
                dispatcher.utter_message(
                    text=f"Dạ, Bác giúp {whom} được ạ, khi chính {whom} đồng ý (ủy quyền). Trước hết cháu "
                    f"xác thực Bác là ai (CCCD của chính Bác), rồi mới hỏi thông tin của {whom}."
                )
            else:
                dispatcher.utter_message(response="utter_helper_verify_self_first")
            return [*remember, SlotSet("pending_goal", self.name()), FollowupAction("action_start_identity")]
        helping, _ = await client.helpers(user)
        same = [h for h in helping if relation and h.relation == relation]
        active = next((h for h in same if h.state == "active"), None)
        if active is not None:
            try:
                subject = (await client.set_helping(user, active.beneficiary_id)).subject
            except (Refused, ServiceUnavailable):
                dispatcher.utter_message(response="utter_service_busy")
                return []
            dispatcher.utter_message(
                text=f"Dạ, Bác đã được {subject.named} ủy quyền ({SCOPE_TEXT[subject.scope or 'view']}). "
                f"Từ giờ cháu trả lời về {subject.named}."
            )
            from actions.payments import tell_payments  # payments asks this module whose data it is

            return await tell_payments(
                dispatcher, tracker, subject, [*chosen_events(subject), SlotSet("helped_relation", None)]
            )
        if same:
            pending = same[0]
            dispatcher.utter_message(
                text=f"Dạ, yêu cầu đang chờ {pending.named} bấm Đồng ý trong VNeID (mã {pending.code}). "
                'Khi xong, Bác nhắn "xong" cho cháu.',
                buttons=[{"title": "1. Xong rồi", "payload": "/affirm"}],
            )
            return [SlotSet("helper_request", str(pending.authorisation_id)), SlotSet("helped_relation", None)]
        dispatcher.utter_message(response="utter_helper_intro")
        return [*reset_form(tracker), *remember, FollowupAction("helper_form")]


class ActionAskHelpedRelation(Action):
    def name(self) -> str:
        return "action_ask_helped_relation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="Dạ, Bác muốn giúp ai ạ? Bác chọn, hoặc gõ (ví dụ: má, bà nội):",
            buttons=[choice(n, title, "relation", key) for n, (title, key) in enumerate(OFFERED, start=1)],
        )
        return []


class ActionAskHelpedScope(Action):
    def name(self) -> str:
        return "action_ask_helped_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        whom = tracker.get_slot("helped_who") or "người được giúp"
        dispatcher.utter_message(
            text=f"Bác xin {whom} cho phép làm gì ạ?\n1. Chỉ xem tiền trợ cấp và tình trạng liên kết.\n"
            f"2. Xem và làm thủ tục: liên kết tài khoản đứng tên {whom}, nhận tin báo khi có tiền.",
            buttons=[choice(1, "Chỉ xem", "help_scope", "view"), choice(2, "Xem và làm thủ tục", "help_scope", "act")],
        )
        return []


class ValidateHelperForm(FormValidationAction):
    def name(self) -> str:
        return "validate_helper_form"

    async def validate_helped_relation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        relation = text if text in relations() or text == "other" else relation_of(text)
        if relation is None or relation in ("self", "customer"):
            dispatcher.utter_message(text="Dạ, Bác chọn một trong các nút, hoặc gõ người đó là gì của Bác (ví dụ: mẹ).")
            return {"helped_relation": None}
        return {"helped_relation": relation, "helped_who": who(relation)}

    @answers_busy({"helped_cccd_token": None})
    async def validate_helped_cccd_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if text.startswith("cccd:"):
            return {"helped_cccd_token": text}
        digits = "".join(re.findall(r"\d", text))
        check = check_cccd(digits)
        if not check.ok:
            whom = tracker.get_slot("helped_who") or "người được giúp"
            dispatcher.utter_message(
                text=f"Dạ, số CCCD của {whom} có đúng 12 chữ số, in ở mặt trước thẻ. Bác xem lại giúp cháu."
            )
            return {"helped_cccd_token": None}
        token = await VerificationClient().vault(tracker.sender_id, "cccd", digits)
        return {"helped_cccd_token": token, "helped_cccd_year": float(check.birth_year or 0)}

    async def validate_helped_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        words = str(value or "").split()
        if not 2 <= len(words) <= 7 or not all(word.isalpha() for word in words) or len(" ".join(words)) > 60:
            dispatcher.utter_message(text="Dạ, Bác gõ họ và tên đầy đủ như trên CCCD, ví dụ: Trần Thị Bình.")
            return {"helped_name": None}
        return {"helped_name": " ".join(word.capitalize() for word in words)}

    async def validate_helped_birth_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        born = parse_birth_date(str(value or ""), vietnam_today())
        year = int(tracker.get_slot("helped_cccd_year") or 0)
        if born is None or (year and born.year != year):
            why = f" (số CCCD cho năm {year})" if born is not None else ""
            dispatcher.utter_message(text=f"Dạ, ngày sinh chưa đúng{why}. Bác gõ theo dạng ngày/tháng/năm, "
                                     "ví dụ: 2/7/1944.")  # fmt: skip
            return {"helped_birth_date": None}
        return {"helped_birth_date": born.isoformat()}

    async def validate_helped_scope(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = fold_words(str(value or ""))
        if text in ("view", "act"):
            return {"helped_scope": text}
        if any(word in text for word in ("thu tuc", "lien ket", "tai khoan", "ca hai")):
            return {"helped_scope": "act"}
        if "xem" in text:
            return {"helped_scope": "view"}
        dispatcher.utter_message(text='Dạ, Bác chọn "1" (chỉ xem) hoặc "2" (xem và làm thủ tục) giúp cháu.')
        return {"helped_scope": None}


class ActionRequestHelp(Action):
    """After the form: match the beneficiary's details, and push the request to their own VNeID."""

    def name(self) -> str:
        return "action_request_help"

    @answers_busy(reset_form)
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        slot = tracker.get_slot
        whom = slot("helped_who") or "người được giúp"
        client, user = VerificationClient(), tracker.sender_id
        try:
            result = await client.request_help(
                user, slot("helped_cccd_token"), slot("helped_name"), slot("helped_birth_date"),
                slot("helped_relation") or "other", slot("helped_scope") or "view",
            )  # fmt: skip
        except Locked as error:
            dispatcher.utter_message(response="utter_identity_locked", until=clock_time(error.until))
            return reset_form(tracker)
        except Refused as error:
            return [*reset_form(tracker), *self.refused(dispatcher, error.code, whom)]
        if not result["matched"]:
            dispatcher.utter_message(
                text=f"Dạ, thông tin của {whom} chưa khớp với hồ sơ. Bác kiểm tra lại số CCCD, họ tên, ngày sinh "
                f"của {whom} giúp cháu (còn {result.get('attempts_left', 0)} lần thử).",
                buttons=[{"title": "1. Nhập lại", "payload": "/help_relative"}],
            )
            return reset_form(tracker)
        auth = result["authorisation"]
        named = f"{auth['title']} {auth['full_name']}"
        if auth["state"] == "active":
            try:
                subject = (await client.set_helping(user, int(auth["beneficiary_id"]))).subject
            except (Refused, ServiceUnavailable):
                dispatcher.utter_message(response="utter_service_busy")
                return reset_form(tracker)
            dispatcher.utter_message(text=f"Dạ, Bác đã được {named} ủy quyền rồi ạ. Từ giờ cháu trả lời về {named}.",
                                     buttons=menu(subject))  # fmt: skip
            return [*reset_form(tracker), *chosen_events(subject)]
        dispatcher.utter_message(
            text=f"Dạ, thông tin khớp rồi ạ. Cháu đã gửi yêu cầu tới ứng dụng VNeID trên điện thoại của {named}, "
            f"mã {auth['code']}. {whom.capitalize()} mở VNeID, thấy đúng mã {auth['code']} thì bấm Đồng ý; "
            'xong Bác nhắn "xong" cho cháu.\n'
            f"Nếu {whom} không dùng điện thoại thông minh: mang giấy ủy quyền tới UBND xã/phường, cán bộ sẽ ghi nhận.",
            buttons=[{"title": "1. Xong rồi", "payload": "/affirm"}],
        )
        return [*reset_form(tracker), SlotSet("helper_request", str(auth["id"]))]

    @staticmethod
    def refused(dispatcher: CollectingDispatcher, code: str, whom: str) -> list[dict[str, Any]]:
        if code == "too_many_helpers":
            dispatcher.utter_message(
                text=f"Dạ, {whom} đã có đủ số người được ủy quyền giúp. Muốn thêm Bác, {whom} cần thu hồi bớt một "
                'người (nhắn "thu hồi ủy quyền") hoặc hỏi UBND xã/phường.'
            )
        elif code == "self":
            dispatcher.utter_message(text="Dạ, đây là thông tin của chính Bác, Bác không cần ủy quyền ạ.")
        elif code == "not_verified":
            dispatcher.utter_message(response="utter_helper_verify_self_first")
            return [FollowupAction("action_start_identity")]
        else:
            dispatcher.utter_message(response="utter_service_busy")
        return []


@answers_busy()
async def check_help_request(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """ "Xong" after a request: has the beneficiary approved it? (Called by action_affirm, not chained
    as a follow-up action, so what it remembers is not lost.)"""
    wanted, client, user = tracker.get_slot("helper_request"), VerificationClient(), tracker.sender_id
    try:
        helping, _ = await client.helpers(user)
        auth = next((h for h in helping if str(h.authorisation_id) == str(wanted)), None)
        subject = None
        if auth is not None and auth.state == "active":
            subject = (await client.set_helping(user, auth.beneficiary_id)).subject
    except Refused:
        auth, subject = None, None
    if subject is not None:
        dispatcher.utter_message(
            text=f"Dạ, {subject.named} đã đồng ý ({SCOPE_TEXT[subject.scope or 'view']}). Từ giờ cháu trả lời "
            f'về {subject.named}; Bác muốn xem của mình thì nhắn "của tôi".',
            buttons=menu(subject),
        )
        return [SlotSet("helper_request", None), *chosen_events(subject)]
    if auth is not None:
        dispatcher.utter_message(
            text=f"Dạ, cháu chưa thấy {auth.named} bấm Đồng ý trong VNeID (mã {auth.code}). "
            'Khi xong, Bác nhắn "xong" giúp cháu.',
            buttons=[{"title": "1. Xong rồi", "payload": "/affirm"}],
        )
        return []
    dispatcher.utter_message(
        text="Dạ, yêu cầu ủy quyền đã bị từ chối hoặc đã hết hạn. Bác muốn gửi lại không ạ?",
        buttons=[{"title": "1. Gửi lại", "payload": "/help_relative"}],
    )
    return [SlotSet("helper_request", None)]


class ActionChoosePerson(Action):
    """ "Của mẹ", "của tôi": whose data the next answers are about."""

    def name(self) -> str:
        return "action_choose_person"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        from actions.common.gate import verified_person

        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return events
        subject, events = await whose_data(dispatcher, tracker, person)
        if subject is None:
            return events
        whose = "của Bác" if subject.relation is None else f"của {subject.named}"
        dispatcher.utter_message(text=f"Dạ, giờ cháu xem thông tin {whose}. Bác muốn xem gì ạ?", buttons=menu(subject))
        return events


def when(moment: str) -> str:
    """'14:05 ngày 1/12' in Vietnam time, from the service's UTC moment."""
    local = datetime.fromisoformat(moment.removesuffix("Z")).replace(tzinfo=timezone.utc).astimezone(VIETNAM)
    return f"{clock_time(moment)} ngày {local.day}/{local.month}"


class ActionHelperAccessLog(Action):
    """ "Ai đã xem thông tin của tôi?": who is authorised, and the latest reads and acts through it."""

    def name(self) -> str:
        return "action_helper_access_log"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        from actions.common.gate import verified_person

        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return events
        client = VerificationClient()
        try:
            _, helped_by = await client.helpers(tracker.sender_id)
            log = await client.access_log(tracker.sender_id)
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy")
            return []
        lines = []
        for helper in helped_by:
            kin = HELPER_IS.get(helper.relation or "", "người thân")
            state = "đang chờ Bác đồng ý" if helper.state == "pending" else SCOPE_TEXT[helper.scope or "view"]
            lines.append(f"Người được Bác ủy quyền: {helper.helper_name} ({kin}, {state}).")
        if not helped_by:
            lines.append("Dạ, hiện không có ai được Bác ủy quyền xem thông tin.")
        shown: list[str] = []
        for row in log:
            line = (f"- {row['helper_name']} ({HELPER_IS.get(row['relation'], 'người thân')}): "
                    f"{USES.get(row['what'], row['what'])} lúc {when(row['at'])}")  # fmt: skip
            if line not in shown:
                shown.append(line)
        if shown:
            lines += ["Lần xem gần đây:", *shown[:5]]
        elif helped_by:
            lines.append("Chưa ai xem thông tin của Bác qua ủy quyền.")
        buttons = [{"title": "1. Thu hồi ủy quyền", "payload": "/revoke_helper"}] if helped_by else []
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return []


class ActionRevokeHelper(Action):
    """ "Thu hồi ủy quyền của con tôi": the beneficiary ends a helper's authorisation, at once."""

    def name(self) -> str:
        return "action_revoke_helper"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        from actions.common.gate import verified_person

        person, events = await verified_person(dispatcher, tracker, self.name())
        if person is None:
            return events
        client, user = VerificationClient(), tracker.sender_id
        try:
            _, helped_by = await client.helpers(user)
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy")
            return []
        picked = str(next(tracker.get_latest_entity_values("helper_auth"), "") or "")
        named = said_relation(tracker)
        candidates = helped_by
        if picked:
            candidates = [h for h in helped_by if str(h.authorisation_id) == picked]
        elif named:
            candidates = [h for h in helped_by if h.relation in NAMED_HELPER.get(named, set())] or helped_by
        if not candidates:
            dispatcher.utter_message(text="Dạ, hiện không có ai được Bác ủy quyền, nên không có gì để thu hồi ạ.")
            return []
        if len(candidates) > 1:
            buttons = [
                {"title": f"{n}. {h.helper_name} ({HELPER_IS.get(h.relation or '', 'người thân')})",
                 "payload": f'/revoke_helper{{"helper_auth":"{h.authorisation_id}"}}'}
                for n, h in enumerate(candidates[:4], start=1)
            ]  # fmt: skip
            dispatcher.utter_message(text="Dạ, Bác muốn thu hồi ủy quyền của ai ạ?", buttons=buttons)
            return []
        helper = candidates[0]
        try:
            await client.revoke_helper(user, int(helper.authorisation_id or 0))
        except (ServiceUnavailable, Refused):
            dispatcher.utter_message(response="utter_service_busy")
            return []
        dispatcher.utter_message(
            text=f"Dạ, cháu đã thu hồi ủy quyền của {helper.helper_name} "
            f"({HELPER_IS.get(helper.relation or '', 'người thân')}). Từ tin nhắn tiếp theo, người đó không xem "
            "được thông tin của Bác nữa."
        )
        return []
