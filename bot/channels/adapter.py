"""What our channel adapters (Telegram, Zalo) share: the client of the bridge channel, one turn at a
time per person, repeated deliveries dropped, and bot menus written out as numbered text for
channels without buttons.

The adapters are separate processes (see bridge.py); this module has no PTB or Rasa import.
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Hashable

import aiohttp

from bot.channels.guard import REPLIES
from bot.state import StateUnavailable, shared_state

LOG = logging.getLogger(__name__)
# The reply to voice, photos, stickers, files and videos, on every channel.
NOT_TEXT_REPLY = (
    "Dạ, cháu chỉ đọc được tin nhắn chữ, chưa xem được ảnh, tệp hay nghe được tin nhắn thoại. "
    "Bác gõ câu hỏi giúp cháu nhé."
)
BRIDGE_TIMEOUT_S = 30.0  # a turn may call several services, each with its own 5 s timeout
_NUMBERED = re.compile(r"^\s*\d{1,2}\s*[.)]")


def quiet_libraries() -> None:
    """Keep HTTP client logs out: httpx logs every URL, and Telegram's URLs contain the bot token."""
    for name in ("httpx", "httpcore", "aiohttp.access", "telegram", "telegram.ext"):
        logging.getLogger(name).setLevel(logging.WARNING)


class Redact(logging.Filter):
    """Replaces secrets in a log record (message and traceback), in case a library quotes one."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._clean(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def configure_logging(secrets: list[str]) -> None:
    """INFO logs on stderr for an adapter process, without library chatter or the given secrets."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    for handler in logging.getLogger().handlers:
        handler.addFilter(Redact(secrets))


def menu_text(message: dict[str, Any]) -> str:
    """A bot message's text with its buttons as numbered lines ("1. Mức trợ cấp"), for typing the number."""
    lines = [str(message.get("text") or "").strip()]
    for index, button in enumerate(message.get("buttons") or [], start=1):
        title = str(button.get("title") or "").strip()
        lines.append(title if _NUMBERED.match(title) else f"{index}. {title}")
    return "\n".join(line for line in lines if line)


class BridgeClient:
    """Posts one person's message to the Rasa server's bridge channel and returns the bot's replies.

    A failure never leaves the person without an answer: it becomes the polite "busy" reply.
    """

    def __init__(self, url: str, token: str, channel: str, timeout_s: float = BRIDGE_TIMEOUT_S) -> None:
        self.url = url
        self.token = token
        self.channel = channel
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def turn(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The bot messages answering `message` from `sender` (`tg:<id>` or `zalo:<id>`)."""
        await self.start()
        assert self._session is not None
        body = {"sender": sender, "message": message, "metadata": {"channel": self.channel, **(metadata or {})}}
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with self._session.post(self.url, json=body, headers=headers) as reply:
                if reply.status != 200:
                    LOG.error("bridge answered HTTP %s", reply.status)
                    return [{"text": REPLIES["busy"]}]
                messages = await reply.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            LOG.error("bridge not reached: %s", type(error).__name__)
            return [{"text": REPLIES["busy"]}]
        if not isinstance(messages, list):
            return [{"text": REPLIES["busy"]}]
        return [m for m in messages if isinstance(m, dict)]


@dataclass
class _Entry:
    lock: asyncio.Lock
    users: int = 0


class TurnLocks:
    """One lock per person, so that their messages reach Rasa and are answered in the order sent,
    while different people are served concurrently. Entries go away when nobody holds or awaits them."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, _Entry] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        entry = self._entries.setdefault(key, _Entry(asyncio.Lock()))
        entry.users += 1
        try:
            async with entry.lock:  # asyncio.Lock wakes waiters first come, first served
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


async def first_delivery(key: str, ttl_s: float) -> bool:
    """False when a platform delivers the same update again (kept in the shared state, so a restart
    of the adapter does not forget it); True when the state cannot be reached (answer twice rather
    than never)."""
    try:
        return await shared_state().first_time(key, ttl_s)
    except StateUnavailable as error:
        LOG.warning("repeated deliveries not checked: %s", error)
        return True
