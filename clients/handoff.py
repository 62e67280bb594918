"""Client of the handoff API: the agents' queue, the person's messages while an agent has the
conversation, the agent's replies waiting for the person's channel, and staff lookups."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from clients.http import NotFound, ServiceClient
from core.settings import get_settings


class HandoffClient(ServiceClient):
    def __init__(self, base_url: str | None = None, timeout_s: float | None = None, token: str | None = None) -> None:
        super().__init__(base_url or get_settings().handoff_url, timeout_s, token)

    # The bot's side: queue a conversation, pass the person's messages, deliver the agents' replies.
    async def open(
        self, channel_user: str, reason: str = "asked", callback: bool = False, summary: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body = {"channel_user": channel_user, "reason": reason, "callback": callback, "summary": summary or {}}
        return await self._request("POST", "/conversations", json=body)

    async def open_for(self, channel_user: str) -> dict[str, Any] | None:
        """The open handed-over conversation of this person, or None when the bot has them."""
        try:
            return await self._request("GET", f"/senders/{quote(channel_user, safe='')}")
        except NotFound:
            return None

    async def person_wrote(self, handoff_id: int, text: str) -> dict[str, Any]:
        return await self._request("POST", f"/conversations/{int(handoff_id)}/messages", json={"text": text})

    async def outbox(self, channel: str, channel_user: str | None = None) -> list[dict[str, Any]]:
        params = {"channel": channel, **({"channel_user": channel_user} if channel_user else {})}
        return list((await self._request("GET", "/outbox", params=params))["messages"])

    async def delivered(self, message_id: int) -> None:
        await self._request("POST", f"/outbox/{int(message_id)}/delivered")

    async def set_external(self, handoff_id: int, external_id: str) -> None:
        await self._request("POST", f"/conversations/{int(handoff_id)}/external", json={"external_id": external_id})

    async def by_external(self, external_id: str) -> dict[str, Any] | None:
        try:
            return await self._request("GET", f"/external/{quote(external_id, safe='')}")
        except NotFound:
            return None

    # The agents' side (console; an outside helpdesk's webhook for replies and closing).
    async def queue(self, include_closed: bool = False) -> list[dict[str, Any]]:
        params = {"closed": "1"} if include_closed else {}
        return list((await self._request("GET", "/conversations", params=params))["conversations"])

    async def conversation(self, handoff_id: int) -> dict[str, Any]:
        return await self._request("GET", f"/conversations/{int(handoff_id)}")

    async def reveal(self, handoff_id: int, agent: str, reason: str) -> dict[str, Any]:
        body = {"agent": agent, "reason": reason}
        return await self._request("POST", f"/conversations/{int(handoff_id)}/reveal", json=body)

    async def take(self, handoff_id: int, agent: str) -> dict[str, Any]:
        return await self._request("POST", f"/conversations/{int(handoff_id)}/take", json={"agent": agent})

    async def reply(self, handoff_id: int, agent: str, text: str) -> dict[str, Any]:
        body = {"agent": agent, "text": text}
        return await self._request("POST", f"/conversations/{int(handoff_id)}/replies", json=body)

    async def close(self, handoff_id: int, agent: str, notice: str | None = None, end_session: bool = False) -> dict:
        body: dict[str, Any] = {"agent": agent, "end_session": end_session, **({"notice": notice} if notice else {})}
        return await self._request("POST", f"/conversations/{int(handoff_id)}/close", json=body)

    async def lookup(self, cccd: str, agent: str, reason: str) -> dict[str, Any] | None:
        try:
            return await self._request("POST", "/lookups", json={"cccd": cccd, "agent": agent, "reason": reason})
        except NotFound:
            return None
