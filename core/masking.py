"""One masking rule for every identifier we show, log or store: only the last 4 digits stay.

What counts as an identifier is every number the assistant accepts as one: a CCCD (12 digits), an
old CMND (9), a phone (10-11) and a bank account (6-20, actions/accounts.py), typed in one piece or
in groups ("0912 345 678", "0912.345.678", "1903-4567-8901-2"). What people and the bot write
that looks alike stays readable: dates ("2.7.1944", "1944-07-02"), payment periods ("2025-12"),
year ranges ("2024-2025"), money ("500.000 ₫"), the host of a web address the bot shows
("http://127.0.0.1:8101/...", the VNeID stand-in's link in demo mode) and short numbers (ages,
years, days, codes).
"""

from __future__ import annotations

import re
from typing import Any

KEEP = 4
MIN_DIGITS = 6  # the shortest bank account number the link form accepts

# A piece of a number: digits joined by single dots or dashes ("0912.345.678", "2025-12").
_CHUNK = re.compile(r"(?<!\d)\+?\d+(?:[.\-]\d+)*")
_DAY, _MONTH = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
_READABLE = re.compile(
    "|".join(
        (
            rf"{_DAY}([.\-]){_MONTH}\1(?:{_YEAR}|\d{{2}})",  # 2.7.1944, 02-07-44
            rf"{_YEAR}-{_MONTH}(?:-{_DAY})?",  # 1944-07-02, 2025-12
            rf"{_YEAR}-{_YEAR}",  # 2024-2025
            r"\d{1,3}(?:\.\d{3})+",  # 500.000, money only when a unit follows (see below)
        )
    )
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_WEB_HOST = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")  # right after "://" (a CCCD starts with 0: no octet)
_MONEY_UNIT = re.compile(r"\s*(?:₫|đ|vnđ|vnd|đồng|dong|nghìn|ngàn|triệu|tỷ)(?!\w)", re.IGNORECASE)


def mask(value: str | None, keep: int = KEEP) -> str:
    """'079301004567' -> '********4567'; short or empty values are fully hidden."""
    text = "".join(str(value or "").split())
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * (len(text) - keep) + text[-keep:]


def shown(last4: str) -> str:
    """How a number is shown to people when only its last digits are known: '****5678'."""
    return "****" + str(last4 or "")[-KEEP:]


def _readable(chunk: str, after: str, before: str = "") -> bool:
    """A date, period, year range, amount of money or web address host, not an identifier."""
    if before.endswith("://") and _WEB_HOST.fullmatch(chunk):
        return True
    if not _READABLE.fullmatch(chunk):
        return False
    if "." in chunk and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", chunk):
        return bool(_MONEY_UNIT.match(after))  # "500.000 ₫" is money; "123.456.789" alone may be an account
    return True


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def mask_numbers(text: str) -> str:
    """Every identifier-like number in free text masked: 'cccd 079301004567' -> 'cccd ********4567'.

    Groups typed with single spaces join into one number only when both sides have 3 or more
    digits ("0912 345 678"), so "sinh năm 1941 85 tuổi" and "12 3 1941" stay as typed.
    """
    chunks = list(_CHUNK.finditer(text))
    out, position, index = [], 0, 0
    while index < len(chunks):
        first = last = chunks[index]
        while (
            index + 1 < len(chunks)
            and text[last.end() : chunks[index + 1].start()] == " "
            and _digits(last.group(0)) >= 3
            and _digits(chunks[index + 1].group(0)) >= 3
        ):
            index += 1
            last = chunks[index]
        number = text[first.start() : last.end()]
        out.append(text[position : first.start()])
        readable = first is last and _readable(number, text[last.end() :], text[: first.start()])
        if _digits(number) >= MIN_DIGITS and not readable:
            out.append(mask(re.sub(r"\D", "", number)))
        else:
            out.append(number)
        position = last.end()
        index += 1
    out.append(text[position:])
    return "".join(out)


def scrub(value: Any) -> Any:
    """The same JSON-like value with every string's identifier-like numbers masked."""
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value  # numbers stay: timestamps and confidences are numbers, typed identifiers are text
