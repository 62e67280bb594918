"""Typed async clients for the verification, payment and eligibility services.

One small class per service, one request method each. Every call has a short timeout (Rasa
holds the conversation lock while an action runs); only idempotent GETs are retried. Failures
surface as two typed errors that actions turn into one kind Vietnamese reply each.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp

from bot.settings import get_settings

LOG = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """The service did not answer in time, or answered with a server error."""


class NotFound(Exception):
    """The service answered that the thing asked for does not exist."""


class _Client:
    retries = 2

    def __init__(self, base_url: str, timeout_s: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s or get_settings().service_timeout_s)

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        attempts = 1 + (self.retries if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                async with aiohttp.ClientSession(timeout=self.timeout) as session:
                    async with session.request(method, self.base_url + path, **kwargs) as response:
                        if response.status == 404:
                            raise NotFound(path)
                        if response.status >= 500:
                            raise ServiceUnavailable(f"{response.status} from {self.base_url}")
                        response.raise_for_status()
                        return await response.json()
            except (aiohttp.ClientError, asyncio.TimeoutError, ServiceUnavailable) as error:
                # The path may hold an identifier; log only the service and the error kind.
                LOG.warning("%s %s failed (attempt %d): %s", method, self.base_url, attempt + 1, type(error).__name__)
                if attempt + 1 == attempts:
                    raise ServiceUnavailable(str(type(error).__name__)) from error
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")


@dataclass(frozen=True)
class Benefit:
    key: str
    name: str
    program: str
    amount_vnd: int
    citation: str
    form: str
    confirmed: bool
    per_child: bool


@dataclass(frozen=True)
class Schedule:
    province: str
    commune: str
    transfer_day: int
    cash_day: int
    cash_place: str


class EligibilityClient(_Client):
    def __init__(self, base_url: str | None = None, timeout_s: float | None = None) -> None:
        super().__init__(base_url or get_settings().eligibility_url, timeout_s)

    async def benefits(self, topic: str, on: date, disability_level: str | None = None) -> list[Benefit]:
        params = {"topic": topic, "on": on.isoformat()}
        if disability_level:
            params["disability_level"] = disability_level
        body = await self._request("GET", "/benefits", params=params)
        return [Benefit(**row) for row in body["benefits"]]


class PaymentClient(_Client):
    def __init__(self, base_url: str | None = None, timeout_s: float | None = None) -> None:
        super().__init__(base_url or get_settings().payment_url, timeout_s)

    async def schedules(self, commune: str) -> list[Schedule]:
        body = await self._request("GET", "/schedules", params={"commune": commune})
        return [Schedule(**row) for row in body["schedules"]]
