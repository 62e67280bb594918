"""Comparing Vietnamese text the way people type it: without case or diacritics."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics, đ -> d: 'Được' -> 'duoc' (NFD input too)."""
    text = unicodedata.normalize("NFD", (text or "").lower()).replace("đ", "d")
    return unicodedata.normalize("NFC", "".join(ch for ch in text if unicodedata.category(ch) != "Mn"))


def fold_words(text: str) -> str:
    """`fold` with single spaces: '  Nguyễn   Thị Đào ' -> 'nguyen thi dao'."""
    return " ".join(fold(text).split())
