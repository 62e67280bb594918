"""Comparing Vietnamese text the way people type it: without case or diacritics, teencode expanded."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

TEENCODE_FILE = Path(__file__).resolve().parent / "rules" / "teencode.yml"


def fold(text: str) -> str:
    """Lower case without diacritics, đ -> d: 'Được' -> 'duoc' (NFD input too)."""
    text = unicodedata.normalize("NFD", (text or "").lower()).replace("đ", "d")
    return unicodedata.normalize("NFC", "".join(ch for ch in text if unicodedata.category(ch) != "Mn"))


def fold_words(text: str) -> str:
    """`fold` with single spaces: '  Nguyễn   Thị Đào ' -> 'nguyen thi dao'."""
    return " ".join(fold(text).split())


def has_diacritics(text: str) -> bool:
    """Whether the text was typed with Vietnamese marks (then 'bà' and 'ba' can be told apart)."""
    return fold(text) != (text or "").lower()


@lru_cache(maxsize=1)
def teencode() -> dict[str, str]:
    """Chat abbreviations as typed (lower case) -> the standard words: 'ko' -> 'không' (core/rules/teencode.yml)."""
    table = yaml.load(TEENCODE_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {typed: standard for standard, spellings in table.items() for typed in spellings}
