"""The one formatter for money and dates that users read (Babel, vi_VN), used by services and actions."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_currency


def money(amount_vnd: int) -> str:
    """1000000 -> '1.000.000 ₫', with a no-break space so the sign never wraps alone."""
    return format_currency(amount_vnd, "VND", locale="vi_VN")


def long_date(day: date) -> str:
    """date(2025, 8, 31) -> 'ngày 31 tháng 8 năm 2025'."""
    return format_date(day, "'ngày' d 'tháng' M 'năm' y", locale="vi")
