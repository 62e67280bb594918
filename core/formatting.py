"""The one formatter for money, dates and clock times that users read (Babel, vi_VN; Vietnam time)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
VI_VN = Locale.parse("vi_VN")  # parsed once: a locale named by string is reloaded on every call (~0.5 ms)


def money(amount_vnd: int) -> str:
    """1000000 -> '1.000.000 ₫', with a no-break space so the sign never wraps alone."""
    return format_currency(amount_vnd, "VND", locale=VI_VN)


def long_date(day: date) -> str:
    """date(2025, 8, 31) -> 'ngày 31 tháng 8 năm 2025'."""
    return format_date(day, "'ngày' d 'tháng' M 'năm' y", locale="vi")


def vietnam_now() -> datetime:
    """The time in Vietnam now (Asia/Ho_Chi_Minh, UTC+7 all year)."""
    return datetime.now(VIETNAM)


def clock_time(moment: datetime | str) -> str:
    """A moment (aware, naive UTC, or ISO text ending in Z) as Vietnam clock time: '19:30'."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.removesuffix("Z"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_time(moment.astimezone(VIETNAM), "HH:mm", locale="vi")


def vietnam_today() -> date:
    """Today's date in Vietnam: "tháng này" means Vietnam's month, whatever the server's clock zone."""
    return vietnam_now().date()
