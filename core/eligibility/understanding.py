"""Facts from what people type: who is asked about, who is typing, and what they said about them.

"mẹ tôi 82 tuổi không có lương hưu" -> a relative asks about their mother: age 82, no pension.
"tôi đơn thân nuôi 2 con 3 và 5 tuổi, nhà nghèo" -> the person asks about herself: single parent,
two children under 16 (their ages are the children's, not hers), poor household. Works with and
without diacritics and with teencode ("ko", "dc", "t"); the patterns are in
`core/rules/understanding.yaml`, the kinship words in `core/rules/wording.yaml`. Pure: no I/O but
reading those tables, nothing kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.eligibility.facts import BOUNDS, UNKNOWN
from core.eligibility.wording import About, texts
from core.rules import load_yaml, loaded_once
from core.text import fold, has_diacritics, teencode

NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6}
COUNTED = [[word] for word in ("chau", "dua", "be", "nguoi", "thang", "nam", "tuoi", "lan", "trieu", "tram", "liet")]
POSSESSORS = {"toi", "tui", "em", "e", "minh", "mk", "chau", "con", "bac", "ta", "to", "tao", "nha"}
YOUNGER_SELF = {"em", "e", "minh", "mk", "chau"}
NEUTRAL_SELF = {"toi", "tui", "to", "ta"}
KIN_WORDS = {"ck": "chồng", "vk": "vợ", "bà xã": "vợ", "ông xã": "chồng"}  # how the answer names them
CHILD_WORDS = {"con", "be", "dua", "chau", "con nho", "dua con", "be nho", "tre", "chau be"}
# Kin named in two words that open a message without "tôi": always the typer's relative ("bà ngoại 90t rồi").
_NAMED_KIN = {"mother", "father", "grandmother", "grandfather", "sibling"}
_SELF_PHRASES = {("ba", "gia"), ("ong", "gia")}
_KIN_DESCRIPTORS = {"gai", "trai", "ut", "ca", "lon", "dau", "ruot"}  # "con gái út", "con trai cả", "đứa con gái"
_DESCRIBED_KIN = {"child", "grandchild", "sibling"}
_FATHER_BEFORE = (["bo"], ["ba"], ["cha"])  # "bo me toi": "me" is the mother of the pair
_OPENING_CHILD = {("be",), ("con",), ("be", "nha"), ("dua", "nho"), ("dua", "be"), ("con", "nho")}
_LIST_SEPARATORS = {"va", ",", "voi", "hay", "vs", "&"}  # "bà già rồi": the typer may speak of herself
CUSTOMER_WORDS = ("ba ay", "ong ay", "co ay", "chu ay", "anh ay", "chi ay", "ba cu", "ong cu", "khach hang", "khach",
                  "nguoi goi")  # fmt: skip


@dataclass(frozen=True)
class Token:
    raw: str  # as typed, lower case (with diacritics if any)
    folded: str  # no diacritics
    word: str  # folded, teencode expanded (may be two words: "tk" -> "tai khoan")


@dataclass(frozen=True)
class Mention:
    kind: str  # relation | self | customer | children
    start: int
    end: int  # index after the mention
    relation: str = ""
    kin: str = ""
    owner: str = ""  # the typer's word for themselves in "mẹ tôi", "ông nội em"


@dataclass
class Understood:
    """What one message says. `about` is None when it names nobody; `period` the days asked about."""

    facts: dict[str, Any] = field(default_factory=dict)
    about: About | None = None
    period: tuple[date, date] | None = None
    corrected: bool = False
    children_ages: tuple[int, ...] = ()


@loaded_once  # loaded again when a rules file changes
def _tables() -> dict[str, Any]:
    data = load_yaml("understanding.yaml")
    compiled = {
        fact: [(entry["value"], [re.compile(p) for p in entry["patterns"]]) for entry in entries]
        for fact, entries in data["facts"].items()
    }
    receiving = [(e["value"], [re.compile(p) for p in e["patterns"]]) for e in data["was_receiving"]]
    lexicon: list[tuple[tuple[str, ...], str, str]] = []
    for key, relation in texts()["relations"].items():
        for word in relation.get("words", []):
            lexicon.append((tuple(fold(word).split()), key, word))
    lexicon.sort(key=lambda entry: -len(entry[0]))  # longest first: "bà nội" before "bà"
    return {
        "facts": compiled,
        "was_receiving": receiving,
        "lexicon": lexicon,
        "death": re.compile(data["death"]),
        "corrections": [re.compile(p) for p in data["corrections"]],
        "agent": [tuple(w.split()) for w in data["agent_words"]],
        "ask_first": {fact: [re.compile(p) for p in patterns] for fact, patterns in data.get("ask_first", {}).items()},
    }


def asks_first(text: str) -> tuple[str, ...]:
    """Facts a condition named without them needs first ("tôi bị khuyết tật": the level), in the rules' order."""
    folded = " " + " ".join(t.word for t in tokens(text)) + " "
    return tuple(fact for fact, patterns in _tables()["ask_first"].items() if any(p.search(folded) for p in patterns))


_DIGIT_WORDS = {
    "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "sáu": 6, "bảy": 7, "bẩy": 7,
    "tám": 8, "chín": 9, "mot": 1, "moi": 1, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "bay": 7, "tam": 8,
    "chin": 9,
}  # fmt: skip
_TENS = "|".join(sorted({w for w, v in _DIGIT_WORDS.items() if v >= 2} | {str(d) for d in range(2, 10)}, key=len,
                        reverse=True))  # fmt: skip
_SPELLED_NUMBER = re.compile(
    rf"\b({_TENS})\s+(?:mươi|muoi|chục|chuc)(?:\s+({'|'.join(sorted(_DIGIT_WORDS, key=len, reverse=True))}))?\b"
)


def _spelled(found: re.Match[str]) -> str:
    tens = int(found.group(1)) if found.group(1).isdigit() else _DIGIT_WORDS[found.group(1)]
    return str(tens * 10 + (_DIGIT_WORDS[found.group(2)] if found.group(2) else 0))


def tokens(text: str) -> list[Token]:
    lowered = unicodedata.normalize("NFC", text or "").lower()
    lowered = _SPELLED_NUMBER.sub(_spelled, lowered)  # "tám mươi lăm tuổi" -> "85 tuổi", "8 mươi mấy" -> "80 mấy"
    found = re.findall(r"\d+/\d+(?:/\d+)?|\d+(?:[.,]\d+)?%?|[^\W\d_]+|[%,.;!?]", lowered)
    table = teencode()
    result = []
    for raw in found:
        folded = fold(raw)
        result.append(Token(raw, folded, fold(table.get(raw, table.get(folded, raw)))))
    return result


def _match_at(words: list[str], index: int, phrase: tuple[str, ...]) -> bool:
    return tuple(words[index : index + len(phrase)]) == phrase


def _mentions(toks: list[Token], marks: bool) -> list[Mention]:
    """People named in the message, in order: relatives (with a possessor), the typer, customers, children."""
    words = [t.word for t in toks]
    folded = [t.folded for t in toks]
    found: list[Mention] = []
    index = 0
    while index < len(toks):
        if folded[index : index + 2] == ["con", "chau"]:
            index += 2  # "con cháu": the family's younger people in general, nobody named
            continue
        customer = next((c for c in CUSTOMER_WORDS if _match_at(folded, index, tuple(c.split()))), None)
        if customer in ("ba cu", "ong cu"):
            owned = index + 2
            owned += 1 if folded[owned : owned + 1] in (["nha"], ["cua"]) else 0
            if owned < len(toks) and words[owned] in POSSESSORS - {"nha", "con", "chau"}:
                # "bà cụ nhà em 88t": the typer's own grandparent, not an agent's customer
                key = "grandmother" if customer == "ba cu" else "grandfather"
                plain = "bà cụ" if key == "grandmother" else "ông cụ"
                kin = " ".join(t.raw for t in toks[index : index + 2]) if marks else plain
                found.append(Mention("relation", index, owned + 1, key, kin, words[owned]))
                index = owned + 1
                continue
        if customer:
            size = len(customer.split())
            found.append(
                Mention(
                    "customer", index, index + size, "customer", " ".join(t.raw for t in toks[index : index + size])
                )
            )
            index += size
            continue
        if folded[index] == "dua" and folded[index + 1 : index + 2] == ["con"] and folded[index + 2 : index + 3] in (
            ["gai"], ["trai"], ["ut"], ["ca"]
        ):
            index += 1  # "đứa con gái út": "đứa" counts, the kin is "con gái"
            continue
        if folded[index] == "ba" and folded[index + 1 : index + 2] in COUNTED:
            index += 1  # "nuôi ba cháu", "ba đứa nhỏ": the number three, not "ba" (father)
            continue
        matched = None
        for phrase, key, word in _tables()["lexicon"]:
            if _match_at(folded, index, phrase) and (
                not marks or " ".join(t.raw for t in toks[index : index + len(phrase)]) == word
            ):
                matched = (phrase, key, word)
                break
        if matched and folded[index + len(matched[0]) : index + len(matched[0]) + 1] == ["oi"]:
            index += len(matched[0]) + 1  # "cháu ơi", "con ơi": the typer calls the bot, nobody is named
            continue
        if matched:
            phrase, key, word = matched
            after = index + len(phrase)
            follows = words[after] if after < len(toks) else ""
            while after < len(toks) and words[after] in _KIN_DESCRIPTORS and key in _DESCRIBED_KIN:
                after += 1  # "con gái út của tôi", "con trai cả tôi": the owner follows the descriptor
            if after < len(toks) and words[after] == "cua":
                after += 1
            owner = words[after] if after < len(toks) else ""
            at_start = index == 0 or folded[index - 1] in {
                ",",
                ".",
                ";",
                "!",
                "?",
                "hoi",
                "la",
                "cho",
                "giup",
                "ve",
                "thi",
            }
            verb = not marks and phrase == ("co",) and owner in ("con", "chau")  # "co con chau nuoi": "có", not "cô"
            if (
                owner in POSSESSORS
                and not verb
                and not (key == "child" and owner == "con")
                and (key not in ("mother",) or at_start or marks or folded[index - 1 : index] in _FATHER_BEFORE)
            ):
                kin = " ".join(t.raw for t in toks[index : index + len(phrase)]) if marks else word
                if owner == "nha" and after + 1 < len(toks) and words[after + 1] in POSSESSORS - {"nha"}:
                    after, owner = after + 1, words[after + 1]  # "đứa nhỏ nhà tôi": "nhà tôi" is one owner
                found.append(Mention("relation", index, after + 1, key, KIN_WORDS.get(kin, kin), owner))
                index = after + 1
                continue
            if index == 0 and phrase in _OPENING_CHILD and _described_next(folded, len(phrase)):
                # "bé 4t KTĐBN", "con 5t kt dbn bn tien": a message that opens on the child asks about the child
                kin = " ".join(t.raw for t in toks[: len(phrase)]) if marks else word
                found.append(Mention("relation", 0, len(phrase), "child", kin))
                index = len(phrase)
                continue
            if index == 0 and key in ("mother", "father") and len(phrase) == 1 and _described_next(folded, 1):
                # "me 82t kt dac biet nang": the typer's mother, said without "tôi"
                kin = toks[0].raw if marks else word
                found.append(Mention("relation", 0, 1, key, kin))
                index = 1
                continue
            if (fold(word) in CHILD_WORDS or key in ("child", "grandchild")) and follows not in ("la", "cua"):
                found.append(Mention("children", index, index + len(phrase)))
                index += len(phrase)
                continue
            if at_start and len(phrase) >= 2 and key in _NAMED_KIN and phrase not in _SELF_PHRASES:
                # "bà ngoại 90t rồi…", "mẹ chồng năm nay 70": nobody calls themselves "bà ngoại"; the typer's relative
                kin = " ".join(t.raw for t in toks[index : index + len(phrase)]) if marks else word
                found.append(Mention("relation", index, index + len(phrase), key, KIN_WORDS.get(kin, kin)))
                index += len(phrase)
                continue
            opens = (
                index == 0
                or folded[max(0, index - 2) : index] in (["oi", ","], ["a", ","])
                or folded[index - 1] == "oi"
            )
            pair = index + 1 < len(toks) and any(_match_at(folded, index + 1, p) for p, _, _ in _tables()["lexicon"])
            if opens and not pair and key in ("grandmother", "grandfather", "aunt_uncle") and len(phrase) == 1:
                found.append(Mention("self", index, index + 1, kin=toks[index].raw))  # "bác năm nay 76": the typer
                index += 1
                continue
        if words[index] in POSSESSORS - {"con", "nha", "chau", "bac"} or folded[index] in ("toi", "tui"):
            found.append(Mention("self", index, index + 1, kin=folded[index]))
        index += 1
    return found


def _described_next(folded: list[str], at: int) -> bool:
    """Whether the words after a kin word opening a message describe that person: an age, "năm nay", "bị"."""
    following = folded[at : at + 1]
    return bool(following) and (following[0].isdigit() or following[0] in ("nam", "bi", "khong", "ko", "da"))


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


@loaded_once  # loaded again when a rules file changes
def _person_tails() -> frozenset[str]:
    """Words that end a person's mention ("mẹ tôi", "bà cụ", "khách"): a bare number right after is an age."""
    words = {phrase[-1] for phrase, _, _ in _tables()["lexicon"]} | {c.split()[-1] for c in CUSTOMER_WORDS}
    # Not "thương binh hạng 2", nor the children's "đứa nhỏ 2, 5 và 7 tuổi".
    return frozenset((words | POSSESSORS | {"tuoi"}) - {"hang", "goi", "nho", "be", "dua", "con", "chau"})


def _ages(toks: list[Token]) -> list[tuple[int, int]]:
    """(token index, age) for "82 tuổi", "82t", "năm nay 82", "mới 68", and both numbers of "3 và 5 tuổi"."""
    folded = [t.folded for t in toks]
    found = []
    for i, word in enumerate(folded):
        if not word.isdigit():
            continue
        value = int(word)
        after = folded[i + 1] if i + 1 < len(folded) else ""
        if after in ("tuoi", "t") or (after == "may" and folded[i + 2 : i + 3] in (["tuoi"], ["t"])):
            found.append((i, value))  # "80 tuổi", "80t", "80 mấy tuổi" (at least 80)
        elif _listed_age(folded, i):
            found.append((i, value))  # "3 và 5 tuổi", "2, 5 và 7 tuổi", "3 voi 5 tuoi": every number of the list
        elif i >= 2 and folded[i - 2 : i] == ["nam", "nay"] and after not in ("thang", "/"):
            found.append((i, value))
        elif (
            i >= 1 and folded[i - 1] in ("tren", "ngoai") and after in ("", ",", ".", "roi", "ma", "thi", "co", "khong")
        ):
            found.append((i, value))
        elif i >= 1 and folded[i - 1] in ("moi", "chi", "da", "duoc") and after in ("", ",", ".", "roi", "thoi", "a"):
            found.append((i, value))  # "à nhầm, tôi mới 68", "mẹ đã 80 rồi": a number ending the phrase
        elif (
            i >= 1
            and (folded[i - 1] in _person_tails() or folded[max(0, i - 2) : i] == ["khach", "hang"])
            and after in ("", ",", ".", ";", "roi", "thi", "ko", "khong")
        ):
            found.append((i, value))  # "bà cụ 80, không lương hưu", "me toi 82, ko luong huu", "tuổi 78"
    low, high = BOUNDS["age"]
    return [(i, v) for i, v in found if low <= v <= high]


def _listed_age(folded: list[str], index: int) -> bool:
    """Whether the number at `index` opens or continues a list of numbers that ends in "tuổi"."""
    end = index + 1
    while end < len(folded) and (folded[end] in _LIST_SEPARATORS or folded[end].isdigit()):
        end += 1
    listed = folded[index + 1 : end]
    return any(word.isdigit() for word in listed) and end < len(folded) and folded[end] in ("tuoi", "t")


def _birth_year(toks: list[Token], today: date) -> int | None:
    folded = [t.folded for t in toks]
    for i, word in enumerate(folded):
        if word in ("sinh", "sn", "nam sinh"):
            for ahead in folded[i + 1 : i + 4]:
                if ahead.isdigit() and len(ahead) == 4 and 1880 <= int(ahead) <= today.year:
                    return int(ahead)
                if ahead.isdigit() and len(ahead) == 2:  # "sinh năm 45": 1945; "sn 19": 2019 (not 1919)
                    year = 2000 + int(ahead)
                    return year if year <= today.year else year - 100
    return None


def _period(toks: list[Token], today: date) -> tuple[date, date] | None:
    """The days asked about: "năm 2023", "tháng 10/2023", "10/2023", "năm ngoái"."""
    folded = [t.folded for t in toks]
    for i, word in enumerate(folded):
        previous = folded[i - 1] if i else ""
        if previous in ("sinh", "sn") or (i >= 2 and folded[i - 2] in ("sinh", "sn")):
            continue
        month_year = re.fullmatch(r"(\d{1,2})/(\d{4})", word)
        if month_year and 1 <= int(month_year.group(1)) <= 12:
            return _month(int(month_year.group(2)), int(month_year.group(1)))
        if word == "thang" and i + 1 < len(folded) and folded[i + 1].isdigit():
            rest = folded[i + 2 : i + 4]
            year = next((int(w) for w in rest if w.isdigit() and len(w) == 4), None)
            if year and 1 <= int(folded[i + 1]) <= 12:
                return _month(year, int(folded[i + 1]))
        if (
            word.isdigit()
            and len(word) == 4
            and previous in ("nam", "hoi", "trong", "cua")
            and 2000 <= int(word) <= 2100
        ):
            return date(int(word), 1, 1), date(int(word), 12, 31)
        if word == "nam" and i + 1 < len(folded) and folded[i + 1] in ("ngoai", "truoc", "roi"):
            return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return None


def _month(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start, end


def _rate(toks: list[Token], text: str) -> int | None:
    folded = [t.folded for t in toks]
    for i, word in enumerate(folded):
        value = None
        if word.endswith("%") and word[:-1].isdigit():
            value = int(word[:-1])
        elif (
            word.isdigit()
            and i + 1 < len(folded)
            and (folded[i + 1] == "%" or folded[i + 1 : i + 3] == ["phan", "tram"])
        ):
            value = int(word)
        elif word.isdigit() and i >= 1 and folded[i - 1] in ("le", "suc", "thuong"):
            value = int(word)  # "tỷ lệ 61", "mất sức 61", "tổn thương 61"
        if value is not None and 0 < value <= 100:
            return value
    return None


def rate_in(text: str) -> int | None:
    """A percentage said on its own ("61%", "61 phần trăm"), for a group already named."""
    toks = tokens(text)
    folded = [t.folded for t in toks]
    for i, word in enumerate(folded):
        if word.endswith("%") and word[:-1].isdigit():
            value = int(word[:-1])
        elif word.isdigit() and (folded[i + 1 : i + 2] == ["%"] or folded[i + 1 : i + 3] == ["phan", "tram"]):
            value = int(word)
        else:
            continue
        if 0 < value <= 100:
            return value
    return None


def _count_before(words: list[str], index: int) -> int | None:
    """The number just before a children word: "nuôi 2 con", "có hai đứa con"."""
    for back in (1, 2):
        if index - back >= 0:
            number = _number(words[index - back])
            if number is not None and (back == 1 or words[index - 1] in ("dua", "be")):
                return number
    return None


def _fact_patterns(text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for fact, entries in _tables()["facts"].items():
        for value, patterns in entries:
            if any(pattern.search(text) for pattern in patterns):
                found[fact] = value
                break
    return found


def _address(self_word: str, relation: str, age: Any) -> str:
    table = texts()["addresses"]
    generation = texts()["relations"][relation]["generation"]
    if self_word in YOUNGER_SELF or fold(self_word) in {fold(w) for w in table["younger_self"]}:
        return "Anh/Chị"
    elder = {fold(k): v for k, v in table["elder_self"].items()}
    if fold(self_word) in elder:
        return elder[fold(self_word)]
    if relation == "self":
        return "Anh/Chị" if isinstance(age, int) and age < 50 else "Bác"
    if relation == "mother" or relation == "father":
        return "Bác"
    if relation == "spouse":
        return "Bác" if not isinstance(age, int) or age >= 60 else "Anh/Chị"
    return "Anh/Chị" if generation in ("older", "younger", "same") else table["default"]


def understand(text: str, today: date) -> Understood:
    """Everything one message says about the person asked about (see the module docstring)."""
    toks = tokens(text)
    if not toks:
        return Understood()
    marks = has_diacritics(text)
    words = [t.word for t in toks]
    expanded = " " + " ".join(words) + " "
    mentions = _mentions(toks, marks)
    agent = any(any(_match_at([t.folded for t in toks], i, w) for i in range(len(toks))) for w in _tables()["agent"])

    # Who is asked about: a customer (agent), the first relative named, or the typer.
    customers = [m for m in mentions if m.kind == "customer"]
    customer = next((m for m in customers if fold(m.kin) not in ("khach", "khach hang", "nguoi goi")), None)
    customer = customer or (customers[0] if customers else None)
    relatives = [m for m in mentions if m.kind == "relation"]
    selves = [m for m in mentions if m.kind == "self"]
    subject: Mention | None
    if agent or customer:
        subject = customer or Mention("customer", 0, 0, "customer", "")
        agent = True
    elif relatives and not (selves and selves[0].start < relatives[0].start and _describes(toks, selves[0])):
        subject = relatives[0]
    else:
        subject = selves[0] if selves else None

    facts = _fact_patterns(expanded)
    if subject is not None and subject.relation == "spouse" and facts.get("is_single_parent"):
        subject = selves[0] if selves else None  # "vợ tôi mất, tôi nuôi 3 đứa nhỏ": the typer raises them alone
    ages = _ages(toks)
    subject_age, children_ages = None, []
    for index, age in ages:
        before = [m for m in mentions if m.end <= index or m.start <= index < m.end]
        nearest = before[-1] if before else None
        if nearest is not None and nearest.kind == "children":
            children_ages.append(age)
        elif subject_age is None and (
            nearest is None or nearest is subject or nearest.kind in ("self", "relation", "customer")
        ):
            if nearest is None or subject is None or nearest is subject or nearest.kind == subject.kind:
                subject_age = age
    if subject_age is not None:
        facts["age"] = subject_age
    if (year := _birth_year(toks, today)) is not None and "age" not in facts:
        facts["birth_year"] = year
    rate = _rate(toks, expanded)
    if rate is not None and (facts.get("merit_group") or re.search(r"\b(ty le|mat suc|ton thuong)\b", expanded)):
        facts["injury_rate"] = rate
        if facts.get("merit_group") == "agent_orange_child_61_80" and rate >= 81:
            facts["merit_group"] = "agent_orange_child_81"

    # Children the person raises, and the martyrs of a martyr's family.
    count = None
    for mention in mentions:
        if mention.kind == "children":
            count = count or _count_before(words, mention.start)
    martyrs = re.search(r"\b(\d|mot|hai|ba|bon)\s+(\w+\s+){0,2}liet si\b", expanded)
    if martyrs and facts.get("merit_group") == "martyr_family":
        facts["martyrs_count"] = _number(martyrs.group(1)) or 1

    child_subject = (
        subject is not None
        and subject.relation in ("child", "grandchild")
        or (isinstance(facts.get("age"), int) and facts["age"] < 16)
    )
    if facts.get("carer"):
        _foster(facts, expanded, children_ages, count)
    elif child_subject:
        for fact in ("is_single_parent", "children_in_care", "infant_care", "has_pension", "has_supporter"):
            facts.pop(fact, None)
        if subject is not None and subject.kind == "relation" and facts.get("disability_level") == "especially_severe":
            facts.setdefault("family_cares", True)  # parents care for their young child at home
    else:
        young = [a for a in children_ages if a < 16]
        if count is not None and facts.get("is_single_parent"):
            facts["children_in_care"] = count
        elif young and facts.get("is_single_parent"):
            facts["children_in_care"] = len(young)
        infants = [a for a in children_ages if a < 3]
        if infants and facts.get("infant_care") == "pregnant":
            facts["infant_care"] = "pregnant_and_child_under_36m"
        elif len(infants) >= 2:
            facts["infant_care"] = "two_plus_children_under_36m"
        elif len(infants) == 1:
            facts["infant_care"] = "one_child_under_36m"

    # A death of the person asked about (not of someone named just before the words), or a funeral word.
    if subject is not None and subject.kind in ("relation", "customer") and _died(toks, mentions, subject):
        facts["deceased"] = True
    if not facts.get("orphan_situation") and not re.search(r"\bmo coi\b", expanded):
        facts.pop("was_receiving_child_allowance", None)  # "đang hưởng trợ cấp" continues a child's allowance only
    if not facts.get("deceased"):
        facts.pop("disaster_death", None)
    if facts.get("deceased"):
        facts.pop("infant_care", None)
        for value, patterns in _tables()["was_receiving"]:
            if any(p.search(expanded) for p in patterns):
                facts["was_receiving"] = value
                break
        if facts.get("merit_group") and "was_receiving" not in facts:
            facts["was_receiving"] = "merit"
    if (
        facts.get("merit_group")
        and facts.get("disability_level") == "especially_severe"
        and "khuyet tat" not in expanded
    ):
        facts.pop("disability_level")  # "vết thương đặc biệt nặng" is the người có công's wound, not a disability paper

    about = None
    if subject is None and not selves and isinstance(facts.get("age"), int) and facts["age"] < 16:
        # "ktdbn 6 tuoi dc bn": nobody named, a child's age: the child is asked about, by a relative
        return Understood(facts=facts, about=About(speaker="relative", relation="child", kin="", address="Anh/Chị",
                                                   child=True), period=_period(toks, today),
                          corrected=any(p.search(" ".join(words)) for p in _tables()["corrections"]),
                          children_ages=tuple(children_ages))  # fmt: skip
    if subject is not None or selves:
        relation = subject.relation if subject is not None and subject.kind in ("relation", "customer") else "self"
        self_word = selves[0].kin if selves else (subject.owner if subject is not None else "")
        if relation == "self" and (facts.get("is_single_parent") or facts.get("infant_care") or children_ages):
            self_word = self_word if self_word in YOUNGER_SELF else "em"  # raising small children: "Anh/Chị"
        speaker = "agent" if agent else ("self" if relation == "self" else "relative")
        address = "Anh/Chị" if agent else _address(self_word, relation, facts.get("age"))
        kin = subject.kin if subject is not None and subject.kind in ("relation", "customer") else ""
        words_of = texts()["relations"][relation].get("words", [])
        kin = kin if kin in words_of else next((w for w in words_of if fold(w) == fold(kin)), "")
        about = About(speaker=speaker, relation=relation, kin=kin, address=address,
                      child=relation in ("child", "grandchild"))  # fmt: skip
    corrected = any(p.search(" ".join(words)) for p in _tables()["corrections"])
    return Understood(
        facts=facts,
        about=about,
        period=_period(toks, today),
        corrected=corrected,
        children_ages=tuple(children_ages),
    )


def _describes(toks: list[Token], mention: Mention) -> bool:
    """'tôi 35 tuổi…', 'tôi đơn thân…', 'tôi là thương binh': the typer speaks about themselves first."""
    ahead = [t.folded for t in toks[mention.end : mention.end + 3]]
    return bool(ahead) and (ahead[0].isdigit() or ahead[0] in ("la", "bi", "dang", "don", "nam", "sinh", "khong", "co"))


def _died(toks: list[Token], mentions: list[Mention], subject: Mention) -> bool:
    words = [t.word for t in toks]
    starts, position = [], 0
    for word in words:  # the token each character of the joined text belongs to
        starts.append(position)
        position += len(word) + 1
    text = " ".join(words)
    if re.search(r"\bmo coi\b", text):
        return False  # "mồ côi, cha mẹ mất": the parents died, not the child asked about
    for found in _tables()["death"].finditer(text):
        index = max(i for i, start in enumerate(starts) if start <= found.start())
        others = [m for m in mentions if m is not subject and m.kind != "self" and index - 4 <= m.start < index]
        if not others and index >= subject.start:
            return True
    return False


def _foster(facts: dict[str, Any], text: str, ages: list[int], count: int | None) -> None:
    """'tôi nhận nuôi một bé bị bỏ rơi 2 tuổi': the typer is a carer; the child's facts are not theirs."""
    orphan = facts.pop("orphan_situation", None)
    level = facts.pop("disability_level", None)
    child = bool(ages) or bool(re.search(r"\b(be|tre|chau|dua tre|tre em)\b", text))
    if level == "especially_severe":
        facts["care_duty"] = "foster_disabled_child" if child else "foster_disabled_adult"
    elif orphan or child:
        if ages:
            facts["care_duty"] = "foster_child_under4" if ages[0] < 4 else "foster_child_4_16"
    elif re.search(r"\b(nguoi gia|nguoi cao tuoi|cu gia|ong cu|ba cu)\b", text):
        facts["care_duty"] = "foster_elderly"
    facts["cared_count"] = count or 1


# --- answers to the question just asked ---------------------------------------------------------

_UNKNOWN_WORDS = re.compile(r"\b(khong|chua|hong)\s*(biet|ro|nho|chac)\b|\bkbiet\b|\bchiu\b")
_DECLINE = re.compile(r"\bkhong muon (tra loi|noi)\b|\bbo qua\b|\bthoi khong noi\b")
_NO = re.compile(r"^(khong|chua|deo|no|ko|k)\b")
_YES = re.compile(r"^(co|dung|roi|vang|da|u|uh|ok|yes|phai|dung roi|co a)\b")


def parse_reply(question: Mapping[str, Any], text: str, choice: str | None = None) -> dict[str, Any] | None:
    """The facts one reply gives to `question` (a Question as a dict), or None when it is not understood.

    `choice` is the 1-based index of a button pressed (payload `/inform{"answer":"2"}`).
    """
    fact, kind = question["fact"], question["type"]
    options = [tuple(option) if not isinstance(option, Mapping) else (option["value"], option["label"])
               for option in question.get("options", [])]  # fmt: skip
    if choice and choice.isdigit() and 1 <= int(choice) <= len(options):
        return {fact: options[int(choice) - 1][0]}
    words = " ".join(t.word for t in tokens(text))
    folded = fold(text).strip(" .!?,")
    if not words:
        return None
    if _DECLINE.search(words) or _UNKNOWN_WORDS.search(words) or words in ("?", "k biet", "khong biet"):
        return {fact: UNKNOWN}
    for value, label in options:
        if folded in (fold(label), str(value).lower()) or words == fold(label):
            return {fact: value}
    if kind not in BOUNDS and words.isdigit() and 1 <= int(words) <= len(options):
        return {fact: options[int(words) - 1][0]}  # the button's number, typed
    if kind in BOUNDS:
        numbers = [int(n) for n in re.findall(r"\d+", words)]
        numbers += [NUMBER_WORDS[w] for w in words.split() if w in NUMBER_WORDS and kind == "count"]
        if kind == "age" and numbers and 1880 <= numbers[0] <= 2200:
            return {"birth_year": numbers[0]}
        if kind == "count" and not numbers and _NO.match(words):
            return {fact: 0}
        low, high = BOUNDS[kind]
        if numbers and low <= numbers[0] <= high:
            return {fact: numbers[0]}
        return None
    if kind == "bool":
        if _NO.match(words):
            return {fact: False}
        if _YES.match(words):
            return {fact: True}
        return None
    if _NO.match(words) and any(value == "none" for value, _ in options):
        return {fact: "none"}
    for value, label in options:  # "nhà tôi hộ nghèo" picks "Hộ nghèo" (a one-word label must be the whole reply)
        if value != UNKNOWN and len(label.split()) > 1 and fold(label) in folded:
            return {fact: value}
    said = _fact_patterns(f" {words} ").get(fact)  # "thương binh" for the người có công group, "cận nghèo"...
    if said is not None:
        return {fact: said}
    return None
