"""Client of the payment service: schedules, a person's payments, subscriptions and the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from clients.http import ServiceClient
from core.settings import get_settings


@dataclass(frozen=True)
class Schedule:
    province: str
    commune: str
    transfer_day: int
    cash_day: int
    cash_place: str


class PaymentClient(ServiceClient):
    def __init__(self, base_url: str | None = None, timeout_s: float | None = None, token: str | None = None) -> None:
        super().__init__(base_url or get_settings().payment_url, timeout_s, token)

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

    async def payments(
        self, beneficiary_id: int, period: str | None = None, *, channel_user: str
    ) -> list[dict[str, Any]]:
        """A person's payments, read through the channel user's verified session."""
        params = {"channel_user": channel_user, **({"period": period} if period else {})}
        body = await self._request("GET", f"/beneficiaries/{int(beneficiary_id)}/payments", params=params)
        return list(body["payments"])


class NotificationsClient(PaymentClient):
    """The payment-message outbox, for the processes that send them (Telegram and Zalo adapters)."""

    async def due(self, channel: str) -> list[dict[str, Any]]:
        body = await self._request("GET", "/notifications/due", params={"channel": channel})
        return list(body["notifications"])

    async def mark(self, notification_id: int, outcome: str) -> None:
        """`outcome` is "sent" or "failed" (a refused send is tried again later, then given up)."""
        await self._request("POST", f"/notifications/{int(notification_id)}/{outcome}")
