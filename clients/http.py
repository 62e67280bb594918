"""What every service client shares: one pooled session, one timeout, one retry and error policy.

Every call has a short timeout (Rasa holds the conversation lock while an action runs); only
idempotent GETs are retried, and only once, so a hung service costs one timeout, not three.
Failures surface as a few typed errors that callers turn into one kind Vietnamese reply each.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from core.settings import get_settings

LOG = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """The service did not answer in time, or answered with a server error."""


class NotFound(Exception):
    """The service answered that the thing asked for does not exist."""


class Locked(Exception):
    """Too many failed identity checks: the person may try again at `until` (UTC, ISO)."""

    def __init__(self, until: str) -> None:
        super().__init__(until)
        self.until = until


class Refused(Exception):
    """The service refused the request (4xx); `code` says why."""

    def __init__(self, code: str, status: int = 400, body: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.body = body or {}


# One session per event loop: aiohttp sessions belong to the loop that made them (the action
# server has one loop; tests make a new one per test).
_SESSIONS: dict[int, aiohttp.ClientSession] = {}


def _session() -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    session = _SESSIONS.get(id(loop))
    if session is None or session.closed or getattr(session, "_loop", loop) is not loop:
        connector = aiohttp.TCPConnector(limit=100, keepalive_timeout=30)
        session = aiohttp.ClientSession(connector=connector)
        _SESSIONS[id(loop)] = session
    return session


async def close_sessions() -> None:
    """Close the pooled session of the running loop (at process shutdown)."""
    session = _SESSIONS.pop(id(asyncio.get_running_loop()), None)
    if session is not None and not session.closed:
        await session.close()


class ServiceClient:
    """A client of one service API: its base URL, timeout and the caller's credential."""

    retries = 1  # GETs only

    def __init__(self, base_url: str, timeout_s: float | None = None, token: str | None = None) -> None:
        settings = get_settings()
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s or settings.service_timeout_s)
        self.token = settings.service_token if token is None else token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        attempts = 1 + (self.retries if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                async with _session().request(
                    method, self.base_url + path, timeout=self.timeout, headers=self._headers(), **kwargs
                ) as response:
                    if response.status == 404:
                        raise NotFound(path.split("/")[1] if "/" in path else path)
                    if response.status >= 500:
                        raise ServiceUnavailable(f"{response.status} from {self.base_url}")
                    if response.status == 204:
                        return {}
                    body = await response.json(content_type=None)
                    if response.status == 423:
                        raise Locked(body.get("locked_until", ""))
                    if response.status >= 400:
                        raise Refused(body.get("error", str(response.status)), response.status, body)
                    return body
            except (aiohttp.ClientError, asyncio.TimeoutError, ServiceUnavailable, ValueError) as error:
                # The path may hold an identifier; log only the service and the error kind.
                LOG.warning("%s %s failed (attempt %d): %s", method, self.base_url, attempt + 1, type(error).__name__)
                if attempt + 1 == attempts or isinstance(error, asyncio.TimeoutError):
                    raise ServiceUnavailable(type(error).__name__) from error
                await asyncio.sleep(0.2)
        raise AssertionError("unreachable")
