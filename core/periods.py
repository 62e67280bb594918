"""Payment periods from what people say: 'tháng này', 'tháng trước', 'tháng 3', 't9'.

The NLU gives canonical month values (this_month, last_month, next_month, "1".."12"); a bare
month number means its most recent occurrence, this month included ("tháng 12" asked in
January is last December).
"""

from __future__ import annotations

import re
from datetime import date


def shift(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def period_for(value: str | None, today: date) -> str:
    """'YYYY-MM' for a canonical month value; None or unknown values mean this month."""
    if value == "last_month":
        year, month = shift(today, -1)
    elif value == "next_month":
        year, month = shift(today, 1)
    elif value and value.isdigit() and 1 <= int(value) <= 12:
        month = int(value)
        year = today.year if month <= today.month else today.year - 1
    else:
        year, month = today.year, today.month
    return f"{year:04d}-{month:02d}"


def period_label(period: str) -> str:
    """'2026-03' -> 'tháng 3/2026'."""
    year, month = period.split("-")
    return f"tháng {int(month)}/{year}"


_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6}
_EXPLICIT = re.compile(r"\b(?:thang|thg|th|t)\s*(\d{1,2})(?:\s*/\s*(\d{4}))?\b")
_BACK_FROM = re.compile(r"\b(?:(\d|mot|hai|ba|bon|tu|nam|sau)\s+)?thang\s+(truoc|sau|toi)\s+(do|nua|tiep|ke)\b")
_BARE_FROM = re.compile(r"^(?:con|the|vay|roi|con\s+thi|the\s+con)?\s*(truoc|sau)\s+(do|nua)\b")
_RELATIVE = re.compile(
    r"\b(?:(\d|mot|hai|ba|bon|tu|nam|sau)\s+)?thang\s+(nay|ni|truoc|roi|vua roi|vua qua|qua|sau|toi)\b"
)


# Months said in words, read before the diacritics are folded: "tháng sáu" is June, "tháng sau" next month.
_MONTH_WORDS = {
    "mười một": 11, "mười hai": 12, "mười": 10, "một": 1, "giêng": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4,
    "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "chạp": 12,
    # without diacritics, only the words that cannot be read another way
    "muoi mot": 11, "muoi hai": 12, "muoi": 10, "gieng": 1, "chap": 12, "chin": 9,
}  # fmt: skip
_SPELLED = re.compile(
    r"\b(tháng|thang)\s+(" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True)) + r")\b"
    r"(?!\s*(nay|ngoái|ngoai|trước|sau|\d))",  # "tháng năm nay" is no May
)


def months_in_digits(text: str) -> str:
    """'tiền tháng sáu' -> 'tiền tháng 6' (and 'tháng mười hai', 'tháng chạp'); other text unchanged."""
    return _SPELLED.sub(lambda m: f"{m.group(1)} {_MONTH_WORDS[m.group(2)]}", text.lower())


def _count(word: str | None) -> int:
    if not word:
        return 1
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 1)


def month_said(folded: str, today: date, anchor: str | None = None) -> str | None:
    """The period ('YYYY-MM') a message names, or None: 'tháng 3', 't9', 'tháng 10/2025', 'tháng này',
    'tháng trước', 'hai tháng trước'; and, against `anchor` (the month last talked about), 'tháng
    trước đó', 'tháng trước nữa', 'tháng sau đó', 'hai tháng trước đó' (issue 13 §2).

    `folded` is the message folded (lower case, no diacritics, teencode expanded).
    """
    text = " ".join(re.sub(r"[^\w/]", " ", folded).split())
    # "kỳ trước", "đợt này": the money comes monthly, so a round is a month; "tháng kia" is two months ago.
    text = re.sub(r"\b(?:ky|ki|dot)\s+(?=(?:nay|ni|truoc|roi|vua roi|vua qua|qua|sau|toi|ke)\b)", "thang ", text)
    text = re.sub(r"\bthang kia\b", "hai thang truoc", text)
    base = today
    if anchor:
        year, month = (int(part) for part in anchor.split("-"))
        base = date(year, month, 1)
    found = _BACK_FROM.search(text)
    if found:
        steps = _count(found.group(1)) * (-1 if found.group(2) == "truoc" else 1)
        # "tháng trước nữa" with nothing talked about yet: the month before last.
        start = base if anchor else today
        extra = -1 if not anchor and found.group(2) == "truoc" and found.group(3) == "nua" else 0
        year, month = shift(start, steps + extra)
        return f"{year:04d}-{month:02d}"
    found = _BARE_FROM.search(text)
    if found and anchor:
        year, month = shift(base, -1 if found.group(1) == "truoc" else 1)
        return f"{year:04d}-{month:02d}"
    found = _EXPLICIT.search(text)
    if found and 1 <= int(found.group(1)) <= 12:
        if found.group(2):
            return f"{int(found.group(2)):04d}-{int(found.group(1)):02d}"
        return period_for(str(int(found.group(1))), today)
    found = _RELATIVE.search(text)
    if found:
        word = found.group(2)
        if word in ("nay", "ni"):
            return period_for("this_month", today)
        steps = _count(found.group(1)) * (1 if word in ("sau", "toi") else -1)
        year, month = shift(today, steps)
        return f"{year:04d}-{month:02d}"
    return None
