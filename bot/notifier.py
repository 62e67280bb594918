"""Payment notifications pushed to people (PRODUCT.md 3.6).

The payment service writes one notification per subscriber when a payment becomes paid or
failed; a Notifier sends one channel's share and marks each sent once, so a restart never repeats
one; a send the channel refused is reported and tried again later, then given up (the service
keeps the count). Nothing is sent between 21:00 and 07:00 (Vietnam time, NOTIFY_QUIET_HOURS):
messages wait in the outbox until morning.

Each channel's adapter process runs its own Notifier with its own sender: Telegram's
(bot/channels/telegram.py) through the adapter's bot and Pacer, so replies and payment messages
share one pace per bot token (one message a second per chat, ~30 a second in all, a 429 retried
after its `retry_after`); Zalo's (bot/channels/zalo.py), the one owner of the OA's rotating
tokens. Web-chat users cannot be reached: there is nobody to push to once the page is closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from clients import NotificationsClient, Refused, ServiceUnavailable
from core.formatting import money, vietnam_now
from core.periods import period_label

LOG = logging.getLogger("notifier")
QUIET_HOURS = (21, 7)  # the default of NOTIFY_QUIET_HOURS
PROGRAMS = {"BTXH": "trợ cấp xã hội", "HTXH": "trợ cấp hưu trí xã hội", "NCC": "trợ cấp người có công"}


def quiet(now_local: datetime, hours: tuple[int, int] | None = QUIET_HOURS) -> bool:
    """Within the quiet hours (21:00–07:00 by default) people are not woken by a payment message."""
    if hours is None:
        return False
    start, end = hours
    if start <= end:
        return start <= now_local.hour < end
    return now_local.hour >= start or now_local.hour < end


def compose(note: dict[str, Any]) -> str:
    """The short message a person receives; amounts as '500.000 ₫', no identifiers."""
    what = f"Tiền {PROGRAMS.get(note['program'], note['program'])} {period_label(note['period'])}"
    whom = note.get("for_name")  # a relative's message names the person it is about
    if whom:
        if note["status"] == "paid":
            return f"Dạ, {whom}: {what} {money(note['amount_vnd'])} đã vào tài khoản."
        return f'Dạ, {whom}: {what} chuyển khoản chưa thành công. Bác nhắn "vì sao chưa nhận" để cháu xem giúp nhé.'
    if note["status"] == "paid":
        return f"Dạ, {what}: {money(note['amount_vnd'])} đã vào tài khoản của Bác."
    return f'Dạ, {what}: chuyển khoản chưa thành công. Bác nhắn "vì sao chưa nhận" để cháu xem giúp nhé.'


class Sender(Protocol):
    async def send(self, chat: str, text: str) -> bool: ...


class Pace:
    """At most one message per `per_chat_s` to a chat, and `per_second` in all."""

    def __init__(self, per_chat_s: float, per_second: float) -> None:
        self.per_chat_s, self.gap = per_chat_s, 1.0 / per_second
        self.last_chat: dict[str, float] = {}
        self.last_any = 0.0

    async def wait(self, chat: str) -> None:
        ready = max(self.last_chat.get(chat, 0.0) + self.per_chat_s, self.last_any + self.gap)
        delay = ready - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.last_chat[chat] = self.last_any = time.monotonic()


class Notifier:
    """Sends the due notifications of the channels it has a sender for ("tg", "zalo")."""

    def __init__(
        self,
        payment_url: str,
        senders: dict[str, Sender],
        clock: Callable[[], datetime] = vietnam_now,
        timeout_s: float = 5.0,
        quiet_hours: tuple[int, int] | None = QUIET_HOURS,
    ) -> None:
        self.outbox = NotificationsClient(payment_url, timeout_s)
        self.senders = senders
        self.clock = clock
        self.quiet_hours = quiet_hours

    async def run_once(self) -> int:
        """Send what is due now; returns how many were sent (0 in quiet hours)."""
        if quiet(self.clock(), self.quiet_hours):
            return 0
        sent = 0
        for channel, sender in self.senders.items():
            for note in await self.outbox.due(channel):
                chat = note["channel_user"].partition(":")[2]
                outcome = "sent" if await sender.send(chat, compose(note)) else "failed"
                await self.outbox.mark(note["id"], outcome)
                sent += outcome == "sent"
        return sent

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                count = await self.run_once()
                if count:
                    LOG.info("sent %d payment notifications", count)
            except (ServiceUnavailable, Refused, KeyError, ValueError) as error:
                LOG.warning("payment service not reachable: %s", type(error).__name__)
            except Exception as error:  # noqa: BLE001 - the loop outlives one bad round (it runs inside Zalo's adapter)
                LOG.error("notification round failed: %s", type(error).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except asyncio.TimeoutError:
                pass
