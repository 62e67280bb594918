"""Handing a conversation to a person (PRODUCT.md 3.8): office hours and what the person is told.

Pure: the action asks the handoff service for the queue position and the verification service for
the registry phone, then words the answer here.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from core.masking import shown

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class OfficeHours:
    """When agents answer: hours [start, end) of the days first_day..last_day (Monday = 0), Vietnam time."""

    start: int = 7
    end: int = 17
    first_day: int = 0
    last_day: int = 4

    @classmethod
    def parse(cls, hours: tuple[int, int] | None, days: str) -> OfficeHours:
        """From AGENT_HOURS ("7-17", None for always) and AGENT_DAYS ("0-4", Monday to Friday)."""
        first, _, last = days.partition("-")
        first_day, last_day = int(first or 0), int(last or first or 6)
        if not (0 <= first_day <= last_day <= 6):
            raise ValueError('AGENT_DAYS must look like "0-4" (Monday=0 to Sunday=6)')
        start, end = hours if hours is not None else (0, 24)
        return cls(start, end, first_day, last_day)

    def open_at(self, moment: datetime) -> bool:
        return self.first_day <= moment.weekday() <= self.last_day and self.start <= moment.hour < self.end

    def wording(self) -> str:
        """'7:00–17:00, thứ Hai đến thứ Sáu'."""
        if (self.start, self.end, self.first_day, self.last_day) == (0, 24, 0, 6):
            return "cả ngày, mọi ngày trong tuần"
        days = (
            WEEKDAYS[self.first_day]
            if self.first_day == self.last_day
            else (f"{WEEKDAYS[self.first_day]} đến {WEEKDAYS[self.last_day]}")
        )
        return f"{self.start}:00–{self.end}:00, {days}"


def expected_minutes(ahead: int, minutes_per_person: int) -> int:
    """Rough wait: everyone ahead plus the person's own turn being picked up."""
    return max(1, (ahead + 1) * minutes_per_person)


# The button under a handoff reply: the person stops waiting and the bot answers again.
LEAVE_QUEUE = {"title": "1. Thôi, không chờ nữa", "payload": "/cancel"}


def _hotline(hotline: str) -> str:
    return f" Cần gấp, Bác gọi tổng đài {hotline}." if hotline else ""


def queued_reply(ahead: int, minutes_per_person: int, hours: OfficeHours, hotline: str = "") -> str:
    """Within office hours: a person will answer here, about when, and what to do meanwhile."""
    wait = expected_minutes(ahead, minutes_per_person)
    before = f"Hiện có {ahead} người đang chờ trước Bác, " if ahead else ""
    return (
        f"Dạ, cháu đã chuyển Bác sang tổng đài viên. {before}Bác chờ khoảng {wait} phút, "
        f"tổng đài viên sẽ trả lời ngay tại đây. Trong lúc chờ, Bác cứ nhắn tiếp, tổng đài viên đọc được hết. "
        f"Giờ làm việc: {hours.wording()}.{_hotline(hotline)}"
    )


def callback_reply(phone_last4: str, hours: OfficeHours, hotline: str = "") -> str:
    """Outside office hours: a callback request, to the registry phone when known, else to a typed one."""
    head = f"Dạ, bây giờ ngoài giờ làm việc của tổng đài viên ({hours.wording()}). "
    if phone_last4:
        return (
            head + f"Cháu đã ghi yêu cầu gọi lại: tổng đài viên sẽ gọi số đuôi {shown(phone_last4)} "
            "trong giờ làm việc. Bác muốn được gọi số khác thì nhắn số đó ở đây nhé." + _hotline(hotline)
        )
    return (
        head + "Cháu đã ghi yêu cầu gọi lại. Bác nhắn số điện thoại ở đây để tổng đài viên gọi lại "
        "trong giờ làm việc nhé." + _hotline(hotline)
    )


# What the person reads when the agent gives the conversation back to the bot.
BACK_TO_BOT = (
    'Dạ, tổng đài viên đã chuyển Bác lại cho Trợ lý An sinh. Bác cần gì cứ nhắn, hoặc gõ "menu" để xem '
    "việc cháu làm được."
)
# The answer to each message the person sends while an agent has the conversation.
PASSED_ON = "Dạ, cháu đã chuyển tin nhắn cho tổng đài viên."


# ---- agent mode in the web chat: a short-lived ticket from the console names the staff member ----

TICKET_LIFETIME_S = 60


def staff_ticket(login: str, secret: str, now: float) -> str:
    """'login.expiry.mac': the console hands it to the web chat, which trusts it once, within a minute."""
    expires = int(now) + TICKET_LIFETIME_S
    mac = hmac.new(secret.encode(), f"{login}.{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{login}.{expires}.{mac}"


def read_staff_ticket(ticket: str, secret: str, now: float) -> str | None:
    """The staff login a ticket names, or None when it is forged, malformed or expired."""
    login, _, rest = (ticket or "").partition(".")
    expires, _, mac = rest.partition(".")
    if not secret or not login or not expires.isdigit() or int(expires) < now:
        return None
    expected = hmac.new(secret.encode(), f"{login}.{expires}".encode(), hashlib.sha256).hexdigest()
    return login if hmac.compare_digest(mac.encode(), expected.encode()) else None
