"""The words of the eligibility entities as data (core/rules/entities.yaml), case- and diacritics-insensitive.

- `group_value("nguoi khuyet tat")` -> "disability": the canonical beneficiary_group of a span;
- `relation_value("ba")` -> "father", `relation_value("bà")` -> "grandmother": as typed with its marks
  first, then folded, where a word typed without marks takes the value of the same unmarked word;
- `household_value("hông thuộc hộ nghèo")` -> "none", from the household patterns of core/rules/understanding.yaml;
- `group_spans(text)` and `relation_spans(text)`: where the lexicon finds groups, and relatives named with
  their owner ("mẹ tôi", "con em"), as character offsets into the text; the fallback and the CRF's features.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.rules import load_yaml
from core.text import fold, has_diacritics, teencode
from core.values import providers

LEXICON_FILE = "entities.yaml"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    value: str
    text: str


def words(text: str) -> list[tuple[str, int, int]]:
    """Folded words with their offsets in `text` (folding keeps the length of NFC text)."""
    normal = unicodedata.normalize("NFC", text or "")
    folded = fold(normal)
    if len(folded) != len(normal):  # not expected for Vietnamese; keep offsets honest anyway
        return [(fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(normal)]
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(w for w, _, _ in words(text))


@lru_cache(maxsize=4)
def _tables(version: int) -> dict[str, Any]:
    data = load_yaml(LEXICON_FILE)
    context_only = {_phrase(p) for p in data.get("context_only", [])}
    groups = {_phrase(p): value for value, phrases in data["groups"].items() for p in phrases}
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for value, spellings in data["relations"].items():
        for word in spellings:
            exact.setdefault(" ".join(word.lower().split()), value)
    for value, spellings in data["relations"].items():  # an unmarked spelling first: "ba" father, not "bà"
        for word in spellings:
            if not has_diacritics(word):
                folded.setdefault(" ".join(_phrase(word)), value)
    for value, spellings in data["relations"].items():
        for word in spellings:
            folded.setdefault(" ".join(_phrase(word)), value)
    not_alone = {" ".join(_phrase(w)) for w in data.get("not_alone", [])}
    household = [
        (entry["value"], [re.compile(p) for p in entry["patterns"]])
        for entry in load_yaml("understanding.yaml")["facts"]["household_type"]
    ]
    aliases: dict[tuple[str, ...], str] = {}
    for code, spec in providers().items():  # the Vietnamese names too: a feature, not a decision
        for alias in [code, spec["name"], *spec.get("aliases", []), *spec.get("words", [])]:
            aliases.setdefault(_phrase(alias), code)
    return {
        "providers": aliases,
        "longest_provider": max(len(p) for p in aliases),
        "groups": groups,
        "fallback_groups": {p: v for p, v in groups.items() if p not in context_only},
        "longest_group": max(len(p) for p in groups),
        "relations_exact": exact,
        "relations_folded": folded,
        "relation_phrases": sorted({tuple(k.split()) for k in folded if k not in not_alone}, key=len, reverse=True),
        "possessors": sorted({_phrase(w) for w in data["possessors"]}, key=len, reverse=True),
        "clause_start_only": {" ".join(_phrase(w)) for w in data.get("clause_start_only", [])},
        "openers": {" ".join(_phrase(w)) for w in data.get("openers", [])},
        "pronoun_after": {" ".join(_phrase(w)) for w in data.get("pronoun_after", [])},
        "household": household,
    }


def tables() -> dict[str, Any]:
    """The lexicon, read again when a rules file changes."""
    from core.rules import rules_version

    return _tables(hash(rules_version()))


def _expand(text: str) -> str:
    """Folded words with teencode expanded ("hông" -> "khong"), single spaces."""
    table = teencode()
    out = []
    for word in (text or "").lower().split():
        word = word.strip(".,!?;:")
        out.append(fold(table.get(word, table.get(fold(word), word))))
    return " ".join(w for w in out if w)


def group_value(text: str) -> str | None:
    """The beneficiary_group a span names: the whole span, else the longest phrase inside it."""
    found = words(text)
    table = tables()["groups"]
    whole = tuple(w for w, _, _ in found)
    if whole in table:
        return str(table[whole])
    spans = _scan([w for w, _, _ in found], table, tables()["longest_group"])
    if spans:
        return str(max(spans, key=lambda s: s[1] - s[0])[2])
    return None


def relation_value(text: str) -> str | None:
    """The relation a span names: 'Má' -> mother, 'ba' -> father, 'bà nội' -> grandmother."""
    normal = " ".join(unicodedata.normalize("NFC", text or "").lower().split()).strip(" .,!?")
    found = tables()["relations_exact"].get(normal)
    if found is None and not has_diacritics(normal):
        found = tables()["relations_folded"].get(" ".join(_phrase(normal)))
    return None if found is None else str(found)


def is_pronoun_at(text: str, end: int) -> bool:
    """Whether the word after `end` makes the word before it a pronoun ("bà ấy", "ông đó")."""
    following = words(text[end:])
    return bool(following) and following[0][0] in tables()["pronoun_after"]


def household_value(text: str) -> str | None:
    """'hông thuộc hộ nghèo' -> none, 'cận nghèo' -> near_poor, 'hộ nghèo' -> poor; None if none applies."""
    expanded = _expand(text)
    for value, patterns in tables()["household"]:
        if any(p.search(expanded) for p in patterns):
            return str(value)
    return None


def _scan(folded: list[str], table: dict[tuple[str, ...], str], longest: int) -> list[tuple[int, int, str]]:
    """Longest-first, left-to-right matches of the table's phrases: (first word, end word, value)."""
    found, index = [], 0
    while index < len(folded):
        for size in range(min(longest, len(folded) - index), 0, -1):
            value = table.get(tuple(folded[index : index + size]))
            if value is not None:
                found.append((index, index + size, value))
                index += size
                break
        else:
            index += 1
    return found


def group_spans(text: str, fallback: bool = False) -> list[Span]:
    """Groups the lexicon finds in a message; `fallback` leaves out the phrases that need context."""
    found = words(text)
    table = tables()["fallback_groups" if fallback else "groups"]
    return [
        Span(found[a][1], found[b - 1][2], value, text[found[a][1] : found[b - 1][2]])
        for a, b, value in _scan([w for w, _, _ in found], table, tables()["longest_group"])
    ]


def provider_spans(text: str) -> list[Span]:
    """Banks and wallets named by an alias of core/rules/providers.yaml ("công thương", "viettel money")."""
    found = words(text)
    return [
        Span(found[a][1], found[b - 1][2], value, text[found[a][1] : found[b - 1][2]])
        for a, b, value in _scan([w for w, _, _ in found], tables()["providers"], tables()["longest_provider"])
    ]


def relation_spans(text: str) -> list[Span]:
    """Relatives named with their owner: 'mẹ tôi', 'ma tui', 'con em', 'em của tôi' (the owner not included)."""
    found = words(text)
    folded = [w for w, _, _ in found]
    t = tables()
    spans, index = [], 0
    while index < len(folded):
        match = None
        for phrase in t["relation_phrases"]:
            after = index + len(phrase)
            if tuple(folded[index:after]) != phrase:
                continue
            owner = after + 1 if folded[after : after + 1] == ["cua"] else after
            size = _owner_at(folded, owner, t["possessors"])
            if (
                " ".join(phrase) in t["clause_start_only"]
                and index > 0
                and folded[index - 1] not in t["openers"]
                and not text[found[index - 1][2] : found[index][1]].strip()
            ):
                continue
            if size and _joined(text, found[index : owner + size]):
                typed = text[found[index][1] : found[after - 1][2]]
                value = relation_value(typed)
                if value:
                    match = (Span(found[index][1], found[after - 1][2], value, typed), owner + size)
                    break
        if match:
            spans.append(match[0])
            index = match[1]
        else:
            index += 1
    return spans


def _owner_at(folded: list[str], index: int, possessors: list[tuple[str, ...]]) -> int:
    """The number of words of the owner starting at `index` ("tôi": 1, "bà ấy": 2), 0 if none."""
    for phrase in possessors:
        if tuple(folded[index : index + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _joined(text: str, found: list[tuple[str, int, int]]) -> bool:
    """Whether these words follow each other with only spaces between ("mẹ tôi", not "cháu, bác")."""
    return all(not text[a[2] : b[1]].strip() for a, b in zip(found, found[1:], strict=False))
