"""Payment periods from what people say: 'tháng này', 'tháng trước', 'tháng 3', 't9'.

The NLU gives canonical month values (this_month, last_month, next_month, "1".."12"); a bare
month number means its most recent occurrence, this month included ("tháng 12" asked in
January is last December).
"""

from __future__ import annotations

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
