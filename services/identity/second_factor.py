"""Second factor bound to the person: an approval request pushed to the citizen's own VNeID app.

Knowing a CCCD, a name and a birth date is not enough to be someone: after that first factor the
verification service asks a provider to push an approval request to the VNeID app registered to
that CCCD, and the person approves it there (PRODUCT.md 3.2). The request is not shown in the
chat, except by the demo stand-in, whose page stands for the phone.

The contract every provider speaks (the demo stand-in, services/vneid_standin, and a real VNeID
relying-party gateway in production), over HTTP with `Authorization: Bearer <token>`:
- `POST {base}/requests` `{"approval_id", "code", "expires_at", "cccd"?, "purpose"?, "device"?}` → 201:
  push the request to the person's app; `cccd` (whom to push it to) is sent only to the real gateway,
  `device` (which demo "phone" shows it) only to the stand-in. `purpose` is set when the person is
  asked to approve someone else's request (a relative asking to help them, services/api/helpers.py).
- `GET {base}/requests/{approval_id}` → `{"status": "pending" | "approved" | "denied" | "expired"}`,
  404 when unknown: read when our record is still pending (a decision whose callback was lost).
- `DELETE {base}/requests/{approval_id}` → 204: withdraw it (the person logged out, or it expired).
- The decision comes back by callback: `POST /verification/v1/identity/approvals/{approval_id}/decision`
  `{"decision": "approve" | "deny"}` with the `vneid` component's credential.
A real adapter must also: push only to the app of the citizen whose CCCD is given (never to an
address the chatting person chooses), show the code so the person can compare it with the chat,
let a request be decided once, and expire it after 5 minutes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from core.settings import Settings

LOG = logging.getLogger("services.second_factor")
DECIDED = {"approved", "denied", "expired"}


class SecondFactorUnavailable(Exception):
    """The provider did not take the request (down, refused the credential, or timed out)."""


class ConfigurationError(RuntimeError):
    """A setting that production needs is missing; the message says which and why."""


@dataclass(frozen=True)
class ApprovalRequest:
    approval_id: str
    code: str
    expires_at: datetime
    cccd: str  # whom to push it to; never sent to the stand-in
    purpose: str = ""  # what the person is asked to approve, when it is not their own verification
    device: str = ""  # demo only: which stand-in "phone" shows it (a keyed hash, services/identity/helpers.py)


class SecondFactor:
    """A provider of approval requests over the HTTP contract above."""

    name = "second factor"
    shows_link = False  # only the stand-in's page may be shown in the chat
    sends_cccd = True

    def __init__(self, base_url: str, token: str, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def link(self, approval_id: str) -> str | None:
        """What the chat may show for this request (nothing, for a real provider)."""
        return None

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with self._session.request(method, self.base_url + path, headers=headers, **kwargs) as reply:
                body = await reply.json(content_type=None) if reply.status not in (204, 404) else {}
                return reply.status, body or {}
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            # The path holds the approval id only; it is still left out of the log.
            LOG.warning("%s %s failed: %s", self.name, method, type(error).__name__)
            raise SecondFactorUnavailable(type(error).__name__) from error

    async def request(self, approval: ApprovalRequest) -> str | None:
        """Push the request to the person's app; returns what the chat may show (a link, or None)."""
        body = {
            "approval_id": approval.approval_id,
            "code": approval.code,
            "expires_at": approval.expires_at.isoformat(timespec="seconds") + "Z",
        }
        if approval.purpose:
            body["purpose"] = approval.purpose
        if self.sends_cccd:
            body["cccd"] = approval.cccd
        elif approval.device:
            body["device"] = approval.device
        status, _ = await self._call("POST", "/requests", json=body)
        if status not in (200, 201, 202):
            LOG.warning("%s refused a request with %d", self.name, status)
            raise SecondFactorUnavailable(str(status))
        return self.link(approval.approval_id)

    async def status(self, approval_id: str) -> str | None:
        """The provider's view of a request: approved, denied, expired, pending, or None if unknown."""
        status, body = await self._call("GET", f"/requests/{approval_id}")
        if status != 200:
            return None
        return str(body.get("status")) if body.get("status") in DECIDED | {"pending"} else None

    async def cancel(self, approval_id: str) -> None:
        await self._call("DELETE", f"/requests/{approval_id}")

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class StandIn(SecondFactor):
    """Demo mode: the VNeID stand-in app (services/vneid_standin), whose page the chat shows."""

    name = "VNeID stand-in"
    shows_link = True
    sends_cccd = False  # the stand-in page is for whoever has the link: it gets no personal data

    def link(self, approval_id: str) -> str | None:
        return f"{self.base_url}/vneid/approvals/{approval_id}/"


class VneidGateway(SecondFactor):
    """Production: a VNeID relying-party gateway that pushes the request to the citizen's own app.

    There is no public VNeID API to build against here; this adapter speaks the contract in this
    module's docstring, and the gateway (run by whoever holds the VNeID integration) maps it to
    VNeID. It refuses to start unless both its address and its credential are configured.
    """

    name = "VNeID gateway"


def from_settings(settings: Settings) -> SecondFactor:
    """The provider for the configured mode; production without a real one refuses to start."""
    if settings.mode == "demo":
        return StandIn(settings.vneid_standin_url, settings.service_tokens.get("vneid", ""), settings.service_timeout_s)
    if not settings.vneid_gateway_url or not settings.vneid_gateway_token:
        raise ConfigurationError(
            "TLAS_MODE=production needs a real second factor: set VNEID_GATEWAY_URL and VNEID_GATEWAY_TOKEN "
            "(a VNeID gateway speaking the contract in services/identity/second_factor.py). "
            "The demo stand-in, where whoever chats can approve, is never used in production."
        )
    return VneidGateway(settings.vneid_gateway_url, settings.vneid_gateway_token, settings.service_timeout_s)
