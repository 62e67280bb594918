"""A fake Chatwoot application API on 127.0.0.1: contacts, conversations and messages of one API inbox,
answered with the shapes Chatwoot's API documents (`payload.contact`, `payload.contact_inbox.source_id`,
a conversation's `id`), refusing requests without the right `api_access_token`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.channels.background import BackgroundServer

ACCOUNT_ID = "7"
INBOX_ID = "3"
API_TOKEN = "chatwoot-api-token-test"


@dataclass
class Conversation:
    id: int
    contact_id: int
    source_id: str
    status: str
    attributes: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)


class FakeChatwoot(BackgroundServer):
    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(100)
        self.contacts: dict[int, dict[str, Any]] = {}
        self.conversations: dict[int, Conversation] = {}
        self.refused = 0

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.token_checked])
        base = f"/api/v1/accounts/{ACCOUNT_ID}"
        app.router.add_post(f"{base}/contacts", self.contact)
        app.router.add_post(f"{base}/conversations", self.conversation)
        app.router.add_post(base + r"/conversations/{id:\d+}/messages", self.message)
        return app

    @web.middleware
    async def token_checked(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("api_access_token") != API_TOKEN:
            self.refused += 1
            return web.json_response({"error": "Invalid Access Token"}, status=401)
        return await handler(request)

    async def contact(self, request: web.Request) -> web.Response:
        body = await request.json()
        assert str(body["inbox_id"]) == INBOX_ID
        contact_id = next(self._ids)
        with self.lock:
            self.contacts[contact_id] = body
        return web.json_response(
            {"payload": {"contact": {"id": contact_id, "name": body.get("name")},
                         "contact_inbox": {"inbox_id": int(INBOX_ID), "source_id": f"src-{contact_id}"}}}
        )  # fmt: skip

    async def conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not body.get("source_id", "").startswith("src-") or body.get("contact_id") not in self.contacts:
            return web.json_response({"error": "contact not found"}, status=404)
        conversation = Conversation(
            next(self._ids), body["contact_id"], body["source_id"], body.get("status", "open"),
            body.get("additional_attributes") or {},
        )  # fmt: skip
        with self.lock:
            self.conversations[conversation.id] = conversation
        return web.json_response({"id": conversation.id, "inbox_id": int(INBOX_ID), "status": conversation.status})

    async def message(self, request: web.Request) -> web.Response:
        conversation = self.conversations.get(int(request.match_info["id"]))
        if conversation is None:
            return web.json_response({"error": "not found"}, status=404)
        body = await request.json()
        assert body["message_type"] in ("incoming", "outgoing") and isinstance(body["content"], str)
        with self.lock:
            conversation.messages.append(body)
        return web.json_response({"id": next(self._ids), "content": body["content"]})

    def only_conversation(self) -> Conversation:
        with self.lock:
            (conversation,) = self.conversations.values()
            return conversation
