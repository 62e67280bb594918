"""The conversation set: YAML files under tests/dialogue/set/ and tests/dialogue/heldout/.

One file holds the conversations of one theme:

    conversations:
    - id: pay-01
      category: payments_plain        # one of CATEGORIES
      who: elderly                    # elderly | relative | agent: who is typing
      channel: rest                   # rest | webchat
      setup: {verify_as: an}          # optional: verified as a demo person of services/seed.py first
      person: an                      # optional: whose numbers {cccd}, {dob}... stand for (default: verify_as)
      turns:
      - user: "thang nay co tien chua"
        expect: {starts_with_yes_no: "no", says_none: ["lap danh sach"]}
      - button: "chua nhan"           # press an offered button (number or title regex) instead of typing
      - stale_button: {turn: 1, title: "muc tro cap"}   # send a button payload offered at an earlier turn
      - identity: true                # answer the identity questions as they come (consent, CCCD, name,
                                      # birth date) with the person's values; {dob: "1/1/1950"} overrides one
      - approve_vneid: true           # press "Đồng ý" on the VNeID stand-in page first, then send `user`
        user: "xong"

Placeholders in user text and patterns: {m0} this month's number, {m1} last month's, … {m11};
{y0}…{y11} their years; and the person's {cccd}, {cccd_dotted}, {name}, {name_plain}, {dob}, {birth_year}, {phone},
{account}, {spare_account}, {spare_last4}, {commune}, {province}, {cccd_last4}, {phone_last4}, {account_last4}.
The held-out part is written the same way and never tuned against (see README in heldout/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from core.text import fold_words
from services.seed import PEOPLE, Person, account_of, cccd_of, commune_of, phone_of, spare_account_of
from tests.dialogue.checks import BY_NOW_CHECKS, FACT_QUESTIONS, RUNNER_CHECKS, TURN_CHECKS

HERE = Path(__file__).resolve().parent
PARTS = {"set": HERE / "set", "heldout": HERE / "heldout"}
WHO = {"elderly", "relative", "agent"}
CHANNELS = {"rest", "webchat"}
CATEGORIES = {
    # issue 13
    "everyday_phrasing": "everyday phrasings (no diacritics, teencode) reach the right journey",
    "payments_plain": "payment answers start with yes/no, in plain words, reason and next step included",
    "relative_months": "'tháng trước đó', 'còn tháng 10?' resolve against the month last talked about",
    "context_carry": "commune, bank, account, month, CCCD said earlier are used later, across verification",
    "recovery": "corrections, 'nhập lại', 'quay lại', 'không biết', mismatches, the lock said at once",
    "topic_change": "a question mid-form is answered, then the form resumes or is dropped",
    "stale_buttons": "old buttons and typed numbers that match no button get a kind, sensible reply",
    "no_vneid": "'không có VNeID', no smartphone: the alternatives are offered",
    "one_menu": "one main menu, the same everywhere",
    "wallet_refusal": "wallet confirmation shows the number only; a refusal offers next steps as buttons",
    "human_hotline": "every 'gặp người' path gives the hotline and office hours",
    "ewallets": "MoMo and other e-wallets recognised and answered",
    "cccd_vs_account": "CCCD and account numbers told apart by structure and by the question asked",
    "relations": "'bố mẹ', 'ông bà', 'con gái' kept whole and the subject named",
    "messy_input": "long, messy, emoji, decomposed or junk input gets a kind reply and loses nothing",
    "scam_privacy": "never asks for an OTP; numbers masked; scam warnings",
    # issue 12
    "elig_facts": "every fact said is used and never asked again",
    "elig_amounts": "the right amount under DOMAIN.md, by group and date",
    "elig_short": "the answer comes first, short enough for a phone",
    "elig_pruning": "only questions that can change the answer",
    "elig_corrections": "a correction replaces the old fact",
    "elig_subject": "who is asked about and who is typing",
}
FIELDS = {"id", "category", "who", "channel", "setup", "person", "note", "turns"}
TURN_FIELDS = {"user", "button", "stale_button", "approve_vneid", "identity", "expect", "note"}


def person_key(person: Person) -> str:
    """'Nguyễn Văn An' -> 'an', 'Trần Thị Bình' -> 'binh': the given name, folded."""
    return fold_words(person.name.split()[-1])


PEOPLE_BY_KEY = {person_key(p): (i, p) for i, p in enumerate(PEOPLE)}


def month_vars(today: date) -> dict[str, str]:
    values = {}
    for back in range(12):
        index = today.year * 12 + today.month - 1 - back
        values[f"m{back}"], values[f"y{back}"] = str(index % 12 + 1), str(index // 12)
    return values


def person_vars(key: str) -> dict[str, str]:
    index, person = PEOPLE_BY_KEY[key]
    cccd, phone, account = cccd_of(index, person), phone_of(index, person), account_of(index, person)
    return {
        "cccd": cccd,
        "name": person.name,
        "name_plain": fold_words(person.name),
        "dob": f"{person.born.day}/{person.born.month}/{person.born.year}",
        "birth_year": str(person.born.year),
        "phone": phone,
        "account": account,
        "spare_account": spare_account_of(index),
        "spare_last4": spare_account_of(index)[-4:],
        "commune": commune_of(person).split(" ", 1)[1],
        "province": person.province,
        "cccd_dotted": ".".join(cccd[i : i + 3] for i in range(0, 12, 3)),
        "cccd_last4": cccd[-4:],
        "phone_last4": phone[-4:],
        "account_last4": account[-4:],
    }


_PLACEHOLDER = re.compile(r"\{([a-z_]+\d*)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace {name} placeholders; regex quantifiers like {2,4} are left alone."""

    def one(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise KeyError(f"unknown placeholder {match.group(0)} in {text!r}")
        return values[match.group(1)]

    return _PLACEHOLDER.sub(one, text)


def fill_all(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, list):
        return [fill_all(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill_all(v, values) for k, v in value.items()}
    return value


@dataclass
class Conversation:
    id: str
    part: str
    file: str
    category: str
    who: str
    channel: str
    turns: list[dict[str, Any]]
    verify_as: str | None = None
    person: str | None = None
    note: str = ""
    problems: list[str] = field(default_factory=list)

    def values(self, today: date) -> dict[str, str]:
        values = month_vars(today)
        key = self.person or self.verify_as
        if key:
            values.update(person_vars(key))
        return values

    def user_texts(self) -> list[str]:
        return [turn["user"] for turn in self.turns if isinstance(turn.get("user"), str)]


def check_turn(turn: dict[str, Any], number: int) -> list[str]:
    """Problems with one turn's shape (unknown keys, unknown checks, facts without a question pattern)."""
    problems = [f"turn {number}: unknown key {key}" for key in turn if key not in TURN_FIELDS]
    said = [key for key in ("user", "button", "stale_button", "identity") if key in turn]
    if len(said) != 1:
        problems.append(f"turn {number}: say exactly one of user, button, stale_button, identity (got {said})")
    for name, argument in (turn.get("expect") or {}).items():
        if name not in TURN_CHECKS and name not in RUNNER_CHECKS:
            problems.append(f"turn {number}: unknown check {name}")
        if name in ("not_asked_again", "asks"):
            facts = argument if isinstance(argument, list) else [argument]
            problems += [f"turn {number}: unknown fact {f}" for f in facts if f not in FACT_QUESTIONS]
        if name == "by_now":
            problems += [f"turn {number}: by_now cannot check {k}" for k in argument if k not in BY_NOW_CHECKS]
        if name == "starts_with_yes_no" and argument not in ("yes", "no", "any"):
            problems.append(f"turn {number}: starts_with_yes_no must be yes, no or any")
    return problems


def load_part(part: str) -> list[Conversation]:
    conversations = []
    for path in sorted(PARTS[part].glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for raw in data.get("conversations") or []:
            setup = raw.get("setup") or {}
            conversation = Conversation(
                id=str(raw.get("id")),
                part=part,
                file=path.name,
                category=raw.get("category", ""),
                who=raw.get("who", ""),
                channel=raw.get("channel", "rest"),
                turns=list(raw.get("turns") or []),
                verify_as=setup.get("verify_as"),
                person=raw.get("person"),
                note=raw.get("note", ""),
            )
            problems = conversation.problems
            problems += [f"unknown field {key}" for key in raw if key not in FIELDS]
            problems += [f"unknown setup {key}" for key in setup if key != "verify_as"]
            if conversation.category not in CATEGORIES:
                problems.append(f"unknown category {conversation.category!r}")
            if conversation.who not in WHO:
                problems.append(f"who must be one of {sorted(WHO)}")
            if conversation.channel not in CHANNELS:
                problems.append(f"channel must be one of {sorted(CHANNELS)}")
            for key in (conversation.verify_as, conversation.person):
                if key is not None and key not in PEOPLE_BY_KEY:
                    problems.append(f"no demo person {key!r} in services/seed.py")
            if not conversation.turns:
                problems.append("no turns")
            for number, turn in enumerate(conversation.turns, start=1):
                problems += check_turn(turn, number)
            conversations.append(conversation)
    return conversations


def load_all() -> list[Conversation]:
    return [c for part in PARTS for c in load_part(part)]
