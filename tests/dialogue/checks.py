"""The checks a conversation turn can ask for, as pure functions over the bot's replies.

Every check looks at behaviour, not wording: regexes over meaning-bearing words and numbers,
matched on text folded to lower case without diacritics (so "Chưa ạ" and "chua a" are the same),
amounts in any way people write them, questions recognised by what they ask about. A check returns
None when it holds, or a short reason when it does not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from core.text import fold

ROOT = Path(__file__).resolve().parents[2]
MAX_BUTTONS = 4  # PRODUCT.md §1: at most 4 buttons


@dataclass
class Reply:
    """One turn's answer from the bot: its bubbles in order, and the buttons offered."""

    bubbles: list[str] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.bubbles)

    @property
    def titles(self) -> list[str]:
        return [button.get("title", "") for button in self.buttons]

    def as_dict(self) -> dict[str, Any]:
        return {"bubbles": self.bubbles, "buttons": self.titles}


def flat(text: str) -> str:
    """Folded text with every kind of space (no-break spaces around ₫ too) as one space."""
    return " ".join(fold(text).replace("\u00a0", " ").replace("\u202f", " ").split())


def fold_pattern(pattern: str) -> str:
    """A regex written with or without diacritics, folded like the text it is matched against.

    Only letters outside escapes are lower-cased, so \\D, \\S, \\W and \\B keep their meaning.
    """
    out, escaped = [], False
    for ch in unicodedata.normalize("NFC", pattern):
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        else:
            out.append(fold(ch) or ch)
    return "".join(out)


def matches(pattern: str, text: str) -> bool:
    return re.search(fold_pattern(pattern), flat(text)) is not None


# ---------------------------------------------------------------- text checks


def says_any(reply: Reply, patterns: list[str]) -> str | None:
    if any(matches(p, reply.text) for p in patterns):
        return None
    return f"none of {patterns} in the reply"


def says_all(reply: Reply, patterns: list[str]) -> str | None:
    missing = [p for p in patterns if not matches(p, reply.text)]
    return f"missing {missing}" if missing else None


def says_none(reply: Reply, patterns: list[str]) -> str | None:
    found = [p for p in patterns if matches(p, reply.text)]
    return f"says {found}" if found else None


def first_says_any(reply: Reply, patterns: list[str]) -> str | None:
    """The answer comes first: the first bubble itself carries it."""
    first = reply.bubbles[0] if reply.bubbles else ""
    if any(matches(p, first) for p in patterns):
        return None
    return f"first bubble has none of {patterns}"


def buttons_include(reply: Reply, patterns: list[str]) -> str | None:
    missing = [p for p in patterns if not any(matches(p, title) for title in reply.titles)]
    return f"no button like {missing} (buttons: {reply.titles})" if missing else None


def buttons_exclude(reply: Reply, patterns: list[str]) -> str | None:
    found = [title for title in reply.titles if any(matches(p, title) for p in patterns)]
    return f"offers {found}" if found else None


def max_chars_first_bubble(reply: Reply, limit: int) -> str | None:
    first = reply.bubbles[0] if reply.bubbles else ""
    return f"first bubble has {len(first)} characters (> {limit})" if len(first) > limit else None


def max_bubbles(reply: Reply, limit: int) -> str | None:
    return f"{len(reply.bubbles)} bubbles (> {limit})" if len(reply.bubbles) > limit else None


# ---------------------------------------------------------------- yes / no first

# Matched before folding: folded, "dạ" (the polite opener) and "đã" (already) are both "da".
_LEAD = re.compile(r"^(?:(?:dạ|vâng|thưa (?:bác|anh|chị))\b[\s,.!:]*|(?:bác|anh|chị|ông|bà) ơi\b[\s,.!:]*)*")
_YES = re.compile(r"^(?:co|roi|duoc|da (?:co|vao|ve|nhan|duoc|chuyen vao|chuyen toi|toi|den))\b")
_NO = re.compile(r"^(?:chua|khong|ko)\b")
_VERIFIED_NOTICE = re.compile(r"xac thuc xong|da xac thuc")


def starts_with_yes_no(reply: Reply, wanted: str) -> str | None:
    """The first bubble answers "yes" or "no" before anything else ("Dạ, chưa ạ. Tiền tháng 12 …").

    A notice that verification just succeeded is not the answer: the bubble after it is.
    `wanted` is "yes", "no" or "any".
    """
    answers = [b for b in reply.bubbles if not _VERIFIED_NOTICE.search(flat(b))]
    first = unicodedata.normalize("NFC", answers[0]).lower().strip() if answers else ""
    head = flat(_LEAD.sub("", first, count=1))
    said = "yes" if _YES.match(head) else "no" if _NO.match(head) else None
    if said is None:
        return f'first bubble does not start with yes/no: "{flat(first)[:80]}"'
    if wanted != "any" and said != wanted:
        return f"starts with {said}, expected {wanted}"
    return None


# ---------------------------------------------------------------- amounts


def amount_patterns(value: int) -> list[str]:
    """Regexes (over folded text) for an amount of đồng written as people and Babel write it:
    "1.250.000 ₫", "1,250,000", "1250000", "1,25 triệu", "1 triệu 250 nghìn", "500k"."""
    digits = str(value)
    groups = [digits[max(0, i - 3) : i] for i in range(len(digits), 0, -3)][::-1]
    forms = [re.escape(sep.join(groups)) for sep in (".", ",", " ")] + [digits]
    if value >= 1_000_000 and value % 1000 == 0:
        millions, rest = divmod(value, 1_000_000)
        decimals = f"{rest // 1000:03d}".rstrip("0")
        forms.append(f"{millions}" + (f"[.,]{decimals}" if decimals else "") + r" ?(?:tr|trieu)\b")
        if rest:
            forms.append(f"{millions} ?trieu {rest // 1000} ?(?:nghin|ngan)\\b")
    elif value % 1000 == 0:
        forms.append(f"{value // 1000} ?(?:k|nghin|ngan)\\b")
    return [r"(?<![\d.,])" + form + r"(?![\d]|[.,]\d)" for form in forms]


def mentions_amount(text: str, value: int) -> bool:
    folded = flat(text)
    return any(re.search(p, folded) for p in amount_patterns(value))


def amount(reply: Reply, values: int | list[int]) -> str | None:
    wanted = values if isinstance(values, list) else [values]
    missing = [v for v in wanted if not mentions_amount(reply.text, v)]
    return f"amount {missing} not in the reply" if missing else None


def first_amount(reply: Reply, values: int | list[int]) -> str | None:
    """The amount is in the first bubble: the answer comes before the explanation."""
    first = reply.bubbles[0] if reply.bubbles else ""
    wanted = values if isinstance(values, list) else [values]
    missing = [v for v in wanted if not mentions_amount(first, v)]
    return f"amount {missing} not in the first bubble" if missing else None


# ---------------------------------------------------------------- questions asked

# What a question about each fact looks like (folded). A sentence asks when it also has a
# question cue: a question mark, or "gõ/nhập/chọn/cho cháu biết".
FACT_QUESTIONS = {
    "age": r"bao nhieu tuoi|may tuoi|nam sinh|sinh nam|tuoi cua",
    "household": r"ho ngheo|can ngheo",
    "pension": r"luong huu|bao hiem xa hoi hang thang|tro cap bhxh",
    "disability": r"khuyet tat",
    "carer": r"phung duong|nguoi (nuoi|cham soc) (duong|bac|cu|ong|ba)|co ai (nuoi|cham)|con chau (nuoi|cham)",
    "living_alone": r"song mot minh|o mot minh",
    "single_parent": r"don than|mot minh nuoi con|nuoi con mot minh|chua (ket hon|co (vo|chong))",
    "children": r"(may|bao nhieu) (chau|con|dua|be)|so con",
    "orphan": r"mo coi|bi bo roi",
    "hiv": r"\bhiv\b",
    "war_invalid_rate": r"ty le|bao nhieu (%|phan tram)|ton thuong|thuong tat",
    "merit_category": r"dien nguoi co cong|nguoi co cong nao|dien nao|thuong binh hay|la thuong binh",
    "commune": r"xa (hoac|hay) phuong|xa nao|phuong nao|o (xa|phuong) (nao|gi)|o dau",
    "bank": r"ngan hang nao|ten ngan hang|ngan hang gi|ngan hang hay vi|chon ngan hang|ngan hang cua",
    "account": r"so tai khoan",
    "cccd": r"(go|nhap|cho chau|gui|doc|cung cap)\b[^.?!]*\b(cccd|can cuoc|dinh danh)",
    "name": r"(go|nhap|cho chau biet|gui|doc)\b[^.?!]*\bho (va )?ten",
    "birth_date": r"(go|nhap|cho chau biet|gui|doc)\b[^.?!]*\bngay sinh|sinh ngay nao",
    "month": r"thang nao|ky nao",
    "phone": r"so dien thoai|so di dong|so may",
    "group": r"nhom nao|doi tuong nao",
}
_CUE = re.compile(r"\?|\b(go|nhap|chon|cho chau biet|dien|nhan giup chau)\b")
_CONSENT = re.compile(r"dong y")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.?!:])\s+|\n+", flat(text)) if s.strip()]


def asks_about(reply: Reply, fact: str) -> bool:
    """Whether the reply asks about `fact`: a question sentence about it (not a consent question),
    or a question whose offered buttons are about it ("Hoàn cảnh của cháu…?" + "Mồ côi cả cha mẹ")."""
    pattern = FACT_QUESTIONS[fact]
    questions = [s for s in sentences(reply.text) if _CUE.search(s) and not _CONSENT.search(s)]
    if any(re.search(pattern, s) for s in questions):
        return True
    last = sentences(reply.bubbles[-1]) if reply.bubbles else []
    asking = bool(last) and bool(_CUE.search(last[-1]))
    return asking and any(re.search(pattern, flat(title)) for title in reply.titles)


def not_asked(reply: Reply, facts: list[str]) -> str | None:
    asked = [fact for fact in facts if asks_about(reply, fact)]
    return f"asks again about {asked}" if asked else None


def asks(reply: Reply, facts: str | list[str]) -> str | None:
    wanted = facts if isinstance(facts, list) else [facts]
    if any(asks_about(reply, fact) for fact in wanted):
        return None
    return f"does not ask about {wanted}"


# ---------------------------------------------------------------- internal names


def internal_names(domain_dir: Path = ROOT / "domain") -> set[str]:
    """Every intent, entity, slot, form, action and response name of the Rasa domain."""
    names: set[str] = set()
    for path in sorted(domain_dir.glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in ("intents", "entities", "actions"):
            for item in part.get(key) or []:
                names.add(next(iter(item)) if isinstance(item, dict) else str(item))
        for key in ("slots", "forms", "responses"):
            names.update((part.get(key) or {}).keys())
    names |= {name.split("/")[0] for name in names}
    return {name for name in names if len(name) >= 3}


_URL = re.compile(r"https?://\S+")
_TECHNICAL = [
    (re.compile(r"(?<![\w/])/[a-z_]+(?:\{|\b)"), "payload"),
    (re.compile(r"\{\s*\"?[a-z_]+\"?\s*[:}]"), "template or JSON"),
    (re.compile(r"\b(?:utter|action|validate)_[a-z_]+"), "response/action name"),
]


def find_internal_names(text: str, names: Iterable[str]) -> list[str]:
    """Internal names visible in a text: domain names as whole words (case as written in the
    domain, so "CCCD" in a sentence is not the entity `cccd`), payload shapes, unfilled templates."""
    text = _URL.sub(" ", text)
    found = [name for name in names if re.search(rf"(?<![\w/]){re.escape(name)}(?![\w])", text)]
    found += [f"{kind}: {m.group(0)}" for pattern, kind in _TECHNICAL for m in pattern.finditer(text)]
    return sorted(set(found))


# ---------------------------------------------------------------- always-on checks

_SECRET_ASK = re.compile(
    r"\b(go|nhap|gui|doc|cho chau|nhan|cung cap)\b[^.?!\n]{0,30}\b(ma )?(otp|mat khau|passcode|ma vneid|ma pin)\b"
)
_NEVER = re.compile(r"khong (bao gio )?(hoi|xin|can)|dung (dua|cung cap|gui|doc)|khong (dua|cung cap|gui)")


def asks_for_a_secret(text: str) -> bool:
    """The bot asking for an OTP, password or VNeID passcode (PRODUCT.md 3.2), not warning about it."""
    return any(_SECRET_ASK.search(s) and not _NEVER.search(s) for s in sentences(text))


def full_identifiers(text: str, typed: Iterable[str]) -> list[str]:
    """Numbers of 9+ digits the person typed (CCCD, phone, account) shown back in full."""
    shown = re.sub(r"[\s.\-]", "", text)
    return [f"…{number[-4:]}" for number in typed if len(number) >= 9 and number in shown]


def always(reply: Reply, names: Iterable[str], typed_numbers: Iterable[str]) -> list[tuple[str, str]]:
    """Checks every reply must pass, whatever the turn expects: (check, reason) for each failure."""
    failures = []
    if not reply.bubbles and not reply.buttons:
        failures.append(("no_reply", "the bot said nothing"))
    leaks = find_internal_names(reply.text + "\n" + "\n".join(reply.titles), names)
    if leaks:
        failures.append(("no_internal_names", f"shows {leaks}"))
    if len(reply.buttons) > MAX_BUTTONS:
        failures.append(("max_buttons", f"{len(reply.buttons)} buttons"))
    if asks_for_a_secret(reply.text):
        failures.append(("never_asks_secret", "asks for an OTP, password or passcode"))
    exposed = full_identifiers(reply.text, typed_numbers)
    if exposed:
        failures.append(("masked_numbers", f"shows full numbers ending {exposed}"))
    return failures


TURN_CHECKS = {
    "says_any": says_any,
    "says_all": says_all,
    "says_none": says_none,
    "first_says_any": first_says_any,
    "buttons_include": buttons_include,
    "buttons_exclude": buttons_exclude,
    "starts_with_yes_no": starts_with_yes_no,
    "amount": amount,
    "first_amount": first_amount,
    "asks": asks,
    "max_chars_first_bubble": max_chars_first_bubble,
    "max_bubbles": max_bubbles,
}
# Checks the runner handles itself: they need more than this turn's reply.
RUNNER_CHECKS = {"not_asked_again", "buttons_same_as_turn", "by_now", "no_internal_names"}
BY_NOW_CHECKS = {"says_any", "says_all", "amount"}
