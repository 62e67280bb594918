"""One masking rule for every identifier we show, log or store: only the last 4 digits stay."""

from __future__ import annotations

import re
from typing import Any

KEEP = 4
# A run of 9 or more digits, also written with spaces, dots or dashes: CCCD, CMND, phone, account.
LONG_NUMBER = re.compile(r"(?<!\d)\+?\d(?:[ .\-]?\d){8,19}(?!\d)")


def mask(value: str | None, keep: int = KEEP) -> str:
    """'079301004567' -> '********4567'; short or empty values are fully hidden."""
    text = "".join(str(value or "").split())
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * (len(text) - keep) + text[-keep:]


def shown(last4: str) -> str:
    """How a number is shown to people when only its last digits are known: '****5678'."""
    return "****" + str(last4 or "")[-KEEP:]


def mask_numbers(text: str) -> str:
    """Every identifier-like number in free text masked: 'cccd 079301004567' -> 'cccd ********4567'."""

    def masked(match: re.Match[str]) -> str:
        return mask(re.sub(r"\D", "", match.group(0)))

    return LONG_NUMBER.sub(masked, text)


def scrub(value: Any) -> Any:
    """The same JSON-like value with every string's identifier-like numbers masked."""
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value  # numbers stay: timestamps and confidences are numbers, typed identifiers are text
