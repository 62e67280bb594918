"""REST and web-chat channels: Rasa's REST protocol with input screening in front.

Same request and reply format as Rasa's RestInput (`{"sender", "message"}` in, a JSON list of
`{"recipient_id", "text", "buttons"}` out), but every message is screened and normalised first,
typed numbers pick buttons, forged `/intent{...}` commands are neutralised, a failure gives a
polite reply instead of silence, and user text never reaches the logs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import REPLIES, ButtonMemory, is_restart, normalise, screen
from core.settings import get_settings

LOG = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_SENDER_CHARS = 80


class GuardedRestInput(InputChannel):
    """POST /webhooks/rest/webhook for integrations and tests."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        self.buttons = ButtonMemory()
        self.max_chars = get_settings().max_message_chars

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        return cls()

    def sender_of(self, body: dict[str, Any]) -> str | None:
        sender = body.get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            return None
        return sender.strip()

    async def handle(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        raw: Any,
        metadata: dict[str, Any] | None = None,
        command: str | None = None,
    ) -> list[dict[str, Any]]:
        """Screen, normalise and pass one message on; always returns at least one reply.

        `command` is an intent the channel itself decided on (a shared contact, say): it skips
        screening, since it does not come from typed text.
        """
        if command is not None:
            text: str | None = command
        else:
            verdict = screen(raw, self.max_chars)
            if verdict is not None:
                return [{"recipient_id": sender, "text": verdict.reply}]
            text = "/restart" if is_restart(normalise(raw)) else self.buttons.resolve(sender, normalise(raw))
        if text is None:
            return [{"recipient_id": sender, "text": REPLIES["command"]}]
        collector = CollectingOutputChannel()
        try:
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
        except Exception as error:  # noqa: BLE001 - the person gets a reply, the log no user text
            LOG.error("message from %s channel failed: %s", self.name(), type(error).__name__)
            return [{"recipient_id": sender, "text": REPLIES["busy"]}]
        self.buttons.remember(sender, collector.messages)
        return collector.messages or [{"recipient_id": sender, "text": REPLIES["busy"]}]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"guarded_{self.name()}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - sanic raises on malformed JSON
                body = None
            sender = self.sender_of(body) if isinstance(body, dict) else None
            if sender is None:
                return response.json({"error": "sender (string, at most 80 characters) is required"}, status=400)
            return response.json(await self.handle(on_new_message, sender, body.get("message")))

        self.add_extra_routes(hook)
        return hook

    def add_extra_routes(self, hook: Blueprint) -> None:
        """Subclasses add their own routes here."""


class WebChatInput(GuardedRestInput):
    """The local chat page of `make run`, served at /webhooks/webchat/ with its own webhook."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def add_extra_routes(self, hook: Blueprint) -> None:
        page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

        @hook.route("/chat", methods=["GET"])
        async def chat_page(_request: Request) -> HTTPResponse:
            return response.html(page)
