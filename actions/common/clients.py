"""Typed async clients for the verification, payment and eligibility services.

One small class per service, one request method each. Every call has a short timeout (Rasa
holds the conversation lock while an action runs); only idempotent GETs are retried. Failures
surface as two typed errors that actions turn into one kind Vietnamese reply each.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.settings import get_settings
from services.domain.rules import BenefitAmount

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
    """The service refused the request as invalid (4xx); `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


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
                            raise NotFound(path.split("/")[1] if "/" in path else path)
                        if response.status >= 500:
                            raise ServiceUnavailable(f"{response.status} from {self.base_url}")
                        if response.status == 204:
                            return {}
                        body = await response.json()
                        if response.status == 423:
                            raise Locked(body.get("locked_until", ""))
                        if response.status >= 400:
                            raise Refused(body.get("error", str(response.status)))
                        return body
            except (aiohttp.ClientError, asyncio.TimeoutError, ServiceUnavailable) as error:
                # The path may hold an identifier; log only the service and the error kind.
                LOG.warning("%s %s failed (attempt %d): %s", method, self.base_url, attempt + 1, type(error).__name__)
                if attempt + 1 == attempts:
                    raise ServiceUnavailable(str(type(error).__name__)) from error
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")


@dataclass(frozen=True)
class Question:
    """The one fact the pre-check still depends on, with its offered answers as (value, label)."""

    fact: str
    type: str
    text: str
    options: tuple[tuple[Any, str], ...]


@dataclass(frozen=True)
class PreCheck:
    """The eligibility service's answer for the facts gathered so far (see services/domain/eligibility.py)."""

    benefits: tuple[dict[str, Any], ...]
    monthly_total_vnd: int
    explanation: tuple[str, ...]
    care_support: tuple[dict[str, Any], ...]
    next_question: Question | None
    undecided: tuple[str, ...]
    where_to_apply: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.next_question is None

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> PreCheck:
        raw = body.get("next_question")
        question = None
        if raw:
            options = tuple((option["value"], option["label"]) for option in raw.get("options", []))
            question = Question(raw["fact"], raw["type"], raw["text"], options)
        return cls(
            benefits=tuple(body.get("benefits", [])),
            monthly_total_vnd=int(body.get("monthly_total_vnd", 0)),
            explanation=tuple(body.get("explanation", [])),
            care_support=tuple(body.get("care_support", [])),
            next_question=question,
            undecided=tuple(item["text"] for item in body.get("undecided", [])),
            where_to_apply=tuple(body.get("where_to_apply", [])),
            notes=tuple(body.get("notes", [])),
        )


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

    async def benefits(self, topic: str, on: date, disability_level: str | None = None) -> list[BenefitAmount]:
        params = {"topic": topic, "on": on.isoformat()}
        if disability_level:
            params["disability_level"] = disability_level
        body = await self._request("GET", "/benefits", params=params)
        return [BenefitAmount(**row) for row in body["benefits"]]  # the service's own shape (rules.py)

    async def evaluate(self, facts: dict[str, Any], on: date) -> PreCheck:
        """Pre-check a person from the facts told so far; the service keeps nothing about them."""
        body = await self._request("POST", "/evaluate", json={"facts": facts, "on": on.isoformat()})
        return PreCheck.from_dict(body)


@dataclass(frozen=True)
class Person:
    """The verified person behind a conversation (from the verification service's session)."""

    beneficiary_id: int
    full_name: str
    commune: str
    province: str
    group_code: str
    cccd_last4: str


class VerificationClient(_Client):
    """Identity checks, sessions, vault and account links. Every call names the channel user."""

    def __init__(self, base_url: str | None = None, timeout_s: float | None = None) -> None:
        super().__init__(base_url or get_settings().verification_url, timeout_s)

    async def person(self, channel_user: str) -> Person | None:
        """The verified person of this conversation, or None when not verified or expired."""
        try:
            return Person(**await self._request("GET", f"/sessions/{quote(channel_user, safe='')}"))
        except NotFound:
            return None

    async def end_session(self, channel_user: str) -> None:
        await self._request("DELETE", f"/sessions/{quote(channel_user, safe='')}")

    async def has_consent(self, channel_user: str) -> bool:
        body = await self._request("GET", "/consents", params={"channel_user": channel_user, "purpose": "identity"})
        return bool(body["given"])

    async def record_consent(self, channel_user: str) -> None:
        await self._request("POST", "/consents", json={"channel_user": channel_user, "purpose": "identity"})

    async def vault(self, channel_user: str, kind: str, value: str) -> str:
        """Keep a full number; returns the token the conversation may carry instead."""
        body = await self._request("POST", "/vault", json={"channel_user": channel_user, "kind": kind, "value": value})
        return str(body["token"])

    async def match(self, channel_user: str, cccd_token: str, full_name: str, date_of_birth: str) -> dict[str, Any]:
        return await self._request(
            "POST",
            "/identity/match",
            json={
                "channel_user": channel_user,
                "cccd_token": cccd_token,
                "full_name": full_name,
                "date_of_birth": date_of_birth,
            },
        )

    async def phone_check(self, channel_user: str, proof_id: str) -> dict[str, Any]:
        return await self._request(
            "POST", "/identity/phone-check", json={"channel_user": channel_user, "proof_id": proof_id}
        )

    async def create_approval(self, channel_user: str) -> dict[str, Any]:
        return await self._request("POST", "/identity/approvals", json={"channel_user": channel_user})

    async def approval(self, channel_user: str, approval_id: str) -> dict[str, Any]:
        return await self._request(
            "GET", f"/identity/approvals/{quote(approval_id, safe='')}", params={"channel_user": channel_user}
        )

    async def request_link(
        self, channel_user: str, beneficiary_id: int, provider: str, account_token: str
    ) -> dict[str, Any]:
        """Submit a link; the key makes a repeated submission of the same account return the same request."""
        key = hashlib.sha256(f"{channel_user}|{beneficiary_id}|{provider}|{account_token}".encode()).hexdigest()[:40]
        body = {
            "beneficiary_id": beneficiary_id,
            "provider": provider,
            "account_token": account_token,
            "channel_user": channel_user,
            "idempotency_key": key,
        }
        return await self._request("POST", "/link-requests", json=body)

    async def link(self, link_id: int) -> dict[str, Any]:
        return await self._request("GET", f"/link-requests/{int(link_id)}")

    async def links(self, beneficiary_id: int) -> list[dict[str, Any]]:
        body = await self._request("GET", f"/beneficiaries/{int(beneficiary_id)}/link-requests")
        return list(body["link_requests"])


class PaymentClient(_Client):
    def __init__(self, base_url: str | None = None, timeout_s: float | None = None) -> None:
        super().__init__(base_url or get_settings().payment_url, timeout_s)

    async def schedules(self, commune: str, province: str | None = None) -> list[Schedule]:
        params = {"commune": commune, **({"province": province} if province else {})}
        body = await self._request("GET", "/schedules", params=params)
        return [Schedule(**row) for row in body["schedules"]]

    async def subscribe(self, channel_user: str, beneficiary_id: int) -> None:
        await self._request(
            "POST", "/subscriptions", json={"channel_user": channel_user, "beneficiary_id": beneficiary_id}
        )

    async def unsubscribe(self, channel_user: str) -> None:
        await self._request("DELETE", f"/subscriptions/{quote(channel_user, safe='')}")

    async def payments(self, beneficiary_id: int, period: str | None = None) -> list[dict[str, Any]]:
        params = {"period": period} if period else {}
        body = await self._request("GET", f"/beneficiaries/{int(beneficiary_id)}/payments", params=params)
        return list(body["payments"])
