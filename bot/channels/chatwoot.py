"""Chatwoot's agent-bot webhook (HELPDESK=chatwoot): the agents' replies and "resolved" come back here.

Chatwoot posts every event of the inbox's conversations to the agent bot's outgoing URL; set it to
`https://<host>/webhooks/chatwoot/webhook?token=$CHATWOOT_WEBHOOK_TOKEN` (Chatwoot signs nothing,
so the URL carries the secret). An agent's public message (`message_created`, `outgoing`, not
private) is queued for the person's own channel through the handoff service; the conversation's
status becoming `resolved` gives it back to the bot. Everything else is acknowledged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.rest import GuardedInput, Handler, same_secret
from clients import HandoffClient, NotFound, Refused, ServiceUnavailable
from core.handoff import BACK_TO_BOT
from core.settings import get_settings

LOG = logging.getLogger(__name__)


def agent_name(event: dict[str, Any]) -> str:
    sender = event.get("sender") or {}
    return f"chatwoot:{sender.get('id', '?')}"[:80]


class ChatwootInput(GuardedInput):
    @classmethod
    def name(cls) -> str:
        return "chatwoot"

    def __init__(self) -> None:
        super().__init__()
        self.token = get_settings().chatwoot_webhook_token
        self.client = HandoffClient()

    async def on_event(self, event: dict[str, Any]) -> str:
        """What was done with one event: replied, closed or ignored."""
        conversation = event.get("conversation") or {}
        external = str(conversation.get("id") or event.get("id") or "")
        kind = event.get("event")
        if kind == "message_created":
            if event.get("message_type") != "outgoing" or event.get("private") or not event.get("content"):
                return "ignored"
            if (event.get("sender") or {}).get("type") not in (None, "user"):
                return "ignored"  # an agent bot's or the system's own message
        elif kind == "conversation_status_changed":
            if conversation.get("status", event.get("status")) != "resolved":
                return "ignored"
        else:
            return "ignored"
        handoff = await self.client.by_external(external) if external else None
        if handoff is None or handoff["status"] == "closed":
            return "ignored"
        if kind == "message_created":
            await self.client.reply(handoff["id"], agent_name(event), str(event["content"])[:2000])
            return "replied"
        await self.client.close(handoff["id"], agent="chatwoot", notice=BACK_TO_BOT)
        return "closed"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        hook = Blueprint("chatwoot", __name__)
        self.health(hook)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not same_secret(request.args.get("token", ""), self.token):
                return response.json({"error": "unauthorised"}, status=401)
            body = self.body(request)
            if isinstance(body, HTTPResponse):
                return body
            try:
                done = await self.on_event(body)
            except (ServiceUnavailable, Refused, NotFound) as error:
                LOG.error("Chatwoot event not handled: %s", type(error).__name__)
                return response.json({"error": "not handled"}, status=503)  # Chatwoot tries again
            return response.json({"status": done})

        return hook
