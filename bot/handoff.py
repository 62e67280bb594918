"""The channels' side of a human handoff (PRODUCT.md 3.8), behind a small helpdesk interface.

While an agent has a conversation (the handoff service says so), the channels pass the person's
messages to the helpdesk instead of to Rasa, and the agent's replies, kept in the handoff
service's outbox, reach the person on their own channel: the web chat's page asks for them, the
Telegram and Zalo adapters send them with their own pacing (`AgentRelay`). When the agent gives
the conversation back, the next message goes to Rasa again, whose tracker was left untouched.

Two helpdesks: the built-in agent console (`HELPDESK=console`, the default: it reads the handoff
service's queue itself) and Chatwoot (`HELPDESK=chatwoot`): each handed-over conversation is
mirrored into a Chatwoot inbox through its application API, and Chatwoot's agent-bot webhook
(bot/channels/chatwoot.py) brings the agents' replies and the "resolved" status back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import aiohttp

from clients import HandoffClient, NotFound, Refused, ServiceUnavailable
from core.masking import mask_numbers
from core.settings import Settings, get_settings

LOG = logging.getLogger(__name__)


class Helpdesk(Protocol):
    """Where handed-over conversations are answered."""

    async def opened(self, handoff_id: int, channel_user: str) -> None:
        """The bot has just queued this conversation."""

    async def person_wrote(self, handoff: dict[str, Any], text: str) -> None:
        """The person wrote while an agent has the conversation."""

    async def close(self) -> None:
        """Release connections."""


class ConsoleHelpdesk:
    """The built-in agent console: the handoff service's queue is all it needs."""

    def __init__(self, client: HandoffClient | None = None) -> None:
        self.client = client or HandoffClient()

    async def opened(self, handoff_id: int, channel_user: str) -> None:
        return None  # the console lists the queue itself

    async def person_wrote(self, handoff: dict[str, Any], text: str) -> None:
        await self.client.person_wrote(handoff["id"], text)

    async def close(self) -> None:
        return None


class ChatwootHelpdesk(ConsoleHelpdesk):
    """Chatwoot (application API, `api_access_token`): a contact and a conversation in the API inbox
    per handed-over conversation, the bot's summary as a private note, the person's messages as
    incoming messages. The handoff service stays the record (and the outbox for the replies)."""

    def __init__(self, settings: Settings, client: HandoffClient | None = None) -> None:
        super().__init__(client)
        if not (settings.chatwoot_url and settings.chatwoot_account_id and settings.chatwoot_inbox_id):
            raise ValueError("HELPDESK=chatwoot needs CHATWOOT_URL, CHATWOOT_ACCOUNT_ID and CHATWOOT_INBOX_ID")
        self.base = f"{settings.chatwoot_url}/api/v1/accounts/{settings.chatwoot_account_id}"
        self.inbox_id = int(settings.chatwoot_inbox_id)
        self.headers = {"api_access_token": settings.chatwoot_api_token}
        self.timeout = aiohttp.ClientTimeout(total=settings.service_timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        async with self._session.post(self.base + path, json=body, headers=self.headers) as reply:
            if reply.status >= 400:
                raise ServiceUnavailable(f"Chatwoot answered {reply.status}")
            return await reply.json(content_type=None)

    async def opened(self, handoff_id: int, channel_user: str) -> None:
        handoff = await self.client.conversation(handoff_id)
        contact = await self._post(
            "/contacts", {"inbox_id": self.inbox_id, "name": f"Người dùng {handoff['channel']} #{handoff_id}",
                          "identifier": f"tlas-{channel_user}"},
        )  # fmt: skip
        payload = contact.get("payload", contact)
        source_id = (payload.get("contact_inbox") or {}).get("source_id")
        contact_id = (payload.get("contact") or payload).get("id")
        conversation = await self._post(
            "/conversations",
            {"source_id": source_id, "inbox_id": self.inbox_id, "contact_id": contact_id, "status": "open",
             "additional_attributes": {"tlas_handoff_id": handoff_id}},
        )  # fmt: skip
        external = str(conversation["id"])
        await self.client.set_external(handoff_id, external)
        await self._post(f"/conversations/{external}/messages", {
            "content": summary_note(handoff), "message_type": "outgoing", "private": True,
        })  # fmt: skip

    async def person_wrote(self, handoff: dict[str, Any], text: str) -> None:
        await super().person_wrote(handoff, text)
        if handoff.get("external_id"):  # identifiers masked: Chatwoot keeps its own copy of everything
            await self._post(
                f"/conversations/{handoff['external_id']}/messages",
                {"content": mask_numbers(text), "message_type": "incoming", "private": False},
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def summary_note(handoff: dict[str, Any]) -> str:
    """The bot's summary as a short private note for the agent."""
    summary = handoff.get("summary") or {}
    lines = [
        f"Trợ lý An sinh chuyển hội thoại #{handoff['id']} "
        f"({'khách yêu cầu' if handoff['reason'] == 'asked' else 'trợ lý không hiểu 2 lần'})"
    ]
    if handoff.get("callback"):
        lines.append("Ngoài giờ: khách cần được gọi lại.")
    person = summary.get("person")
    lines.append(
        f"Đã xác thực: {person['name']}, {person['commune']}, CCCD đuôi {person['cccd_last4']}"
        if person
        else "Chưa xác thực danh tính."
    )
    for name, value in (summary.get("facts") or {}).items():
        lines.append(f"{name}: {value}")
    intents = ", ".join(f"{i['intent']} ({i['confidence']:.2f})" for i in summary.get("last_intents") or [])
    if intents:
        lines.append(f"Ý định gần đây: {intents}")
    return mask_numbers("\n".join(lines))


def helpdesk_from_settings(settings: Settings | None = None) -> Helpdesk:
    settings = settings or get_settings()
    if settings.helpdesk == "chatwoot":
        return ChatwootHelpdesk(settings)
    if settings.helpdesk != "console":
        raise ValueError(f"HELPDESK must be console or chatwoot, not {settings.helpdesk!r}")
    return ConsoleHelpdesk()


class Handoffs:
    """What a channel asks before and after each turn."""

    def __init__(self, helpdesk: Helpdesk | None = None, client: HandoffClient | None = None) -> None:
        # Asked before every turn: a hung service must not eat the turn's own time.
        self.client = client or HandoffClient(timeout_s=min(2.0, get_settings().service_timeout_s))
        self._helpdesk = helpdesk

    @property
    def helpdesk(self) -> Helpdesk:
        if self._helpdesk is None:
            self._helpdesk = helpdesk_from_settings()
        return self._helpdesk

    async def open_for(self, sender: str) -> dict[str, Any] | None:
        """The conversation's open handoff; None when the bot has it or the service cannot say
        (then the bot answers: better than a message lost)."""
        try:
            return await self.client.open_for(sender)
        except (ServiceUnavailable, Refused) as error:
            LOG.warning("handoff state unknown: %s", type(error).__name__)
            return None

    async def pass_on(self, handoff: dict[str, Any], text: str) -> bool | None:
        """The person's message to the agent: True when passed on, False when the conversation is
        back with the bot, None when it could not be kept (the person is asked to send it again)."""
        try:
            await self.helpdesk.person_wrote(handoff, text)
            return True
        except Refused as error:
            return False if error.code == "handoff_closed" else None
        except (ServiceUnavailable, NotFound, aiohttp.ClientError, asyncio.TimeoutError) as error:
            LOG.error("message not passed to the agent: %s", type(error).__name__)
            return None

    async def leave(self, handoff: dict[str, Any]) -> None:
        """The person ended the conversation themselves ("bắt đầu lại", "đăng xuất")."""
        try:
            await self.client.close(handoff["id"], agent="person")
        except (ServiceUnavailable, Refused, NotFound) as error:
            LOG.warning("handoff not closed: %s", type(error).__name__)

    async def after_turn(self, sender: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Tell the helpdesk about a conversation the bot has just queued; drop the marker."""
        shown = []
        for message in messages:
            custom = message.get("custom")
            if isinstance(custom, dict) and "handoff" in custom:
                try:
                    await self.helpdesk.opened(int(custom["handoff"]), sender)
                except (ServiceUnavailable, Refused, NotFound, aiohttp.ClientError, asyncio.TimeoutError) as error:
                    LOG.error("helpdesk not told of a handoff: %s", type(error).__name__)
                rest = {key: value for key, value in message.items() if key != "custom"}
                if rest.get("text") or rest.get("buttons"):
                    shown.append(rest)
                continue
            shown.append(message)
        return shown

    async def inbox(self, sender: str) -> list[dict[str, Any]]:
        """The agent's (and the bot's hand-back) messages for this web-chat person, marked delivered."""
        channel = sender.partition(":")[0]
        try:
            waiting = await self.client.outbox(channel, sender)
            for message in waiting:
                await self.client.delivered(message["id"])
        except (ServiceUnavailable, Refused) as error:
            LOG.warning("agent messages not fetched: %s", type(error).__name__)
            return []
        return [{"text": message["text"], "from": message["author"]} for message in waiting]


class Sender(Protocol):
    async def send(self, chat: str, text: str) -> bool: ...


class AgentRelay:
    """Sends agents' replies to one channel's people (Telegram, Zalo) through the adapter's own sender,
    so they share its pacing; a message the channel refused stays in the outbox for the next round."""

    def __init__(self, channel: str, sender: Sender, client: HandoffClient | None = None) -> None:
        self.channel = channel
        self.sender = sender
        self.client = client or HandoffClient()

    async def run_once(self) -> int:
        sent = 0
        for message in await self.client.outbox(self.channel):
            chat = message["channel_user"].partition(":")[2]
            if await self.sender.send(chat, message["text"]):
                await self.client.delivered(message["id"])
                sent += 1
        return sent

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except (ServiceUnavailable, Refused, KeyError, ValueError) as error:
                LOG.warning("handoff outbox not reachable: %s", type(error).__name__)
            except Exception as error:  # noqa: BLE001 - the loop outlives one bad round
                LOG.error("agent relay round failed: %s", type(error).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except asyncio.TimeoutError:
                pass
