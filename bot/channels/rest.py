"""The doors of the Rasa server, and the REST channel for integrations.

Every door (REST here, the web chat in webchat.py, our adapters' bridge in bridge.py) names its
sender itself, then hands the message to `GuardedInput.handle`, which screens and normalises it,
limits how often one sender may write, keeps a volunteered OTP or password out of the conversation,
turns "đăng xuất"/"bắt đầu lại"/"tạm biệt" into the end of the session, lets typed numbers pick
buttons and refuses forged `/intent{...}` commands; the turn itself is bounded in time, and a
failure (a hung action server, a tracker store that cannot be read) gives the polite "busy" reply,
never silence or an English error. User text never reaches the logs.

REST keeps Rasa's request and reply format (`{"sender", "message"}` in, a JSON list of
`{"recipient_id", "text", "buttons"}` out) but answers only `Authorization: Bearer $REST_TOKEN`
(off while REST_TOKEN is unset), and its senders live apart: `tg:123` is not a REST sender,
and REST sender "abc" is conversation `rest:abc`, which no other channel can name.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import (
    REPLIES,
    REST_SENDER,
    ButtonMemory,
    farewell,
    normalise,
    screen,
    valid_sender,
    volunteered_secret,
)
from bot.handoff import Handoffs
from bot.state import StateUnavailable, shared_state
from bot.tracker_store import watching_store
from core.handoff import LEAVE_QUEUE, PASSED_ON
from core.settings import get_settings

LOG = logging.getLogger(__name__)
Handler = Callable[[UserMessage], Awaitable[Any]]
RATE_WINDOW_S = 60.0


def bad_request(error: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": error}, status=status)


def bearer(request: Request) -> str:
    """The token of an `Authorization: Bearer <token>` header; empty for any other header."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison; an unset secret never matches."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


class GuardedInput(InputChannel):
    """What every door shares: the body check, the rate limit, screening and the bounded turn."""

    def __init__(self) -> None:
        settings = get_settings()
        self.buttons = ButtonMemory(shared=bool(settings.state_redis_url))
        self.max_chars = settings.max_message_chars
        self.max_body_bytes = settings.max_body_bytes
        self.rate_limit = settings.rate_limit_per_minute
        self.turn_timeout_s = settings.turn_timeout_s
        self.handoffs = Handoffs()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedInput:
        return cls()

    def body(self, request: Request) -> dict[str, Any] | HTTPResponse:
        """The request's JSON object, or the 4xx answer for a body that is too big or not an object."""
        if len(request.body or b"") > self.max_body_bytes:
            return bad_request(f"body larger than {self.max_body_bytes} bytes", 413)
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - sanic raises on malformed JSON
            body = None
        if not isinstance(body, dict):
            return bad_request("body must be a JSON object")
        return body

    async def over_limit(self, sender: str) -> bool:
        """More messages from this sender in the last minute than RATE_LIMIT_PER_MINUTE allows."""
        try:
            return await shared_state().count(f"rate:{sender}", RATE_WINDOW_S) > self.rate_limit
        except StateUnavailable as error:  # better to answer without the limit than not at all
            LOG.warning("rate limit not checked: %s", error)
            return False

    async def handle(
        self,
        on_new_message: Handler,
        sender: str,
        raw: Any,
        metadata: dict[str, Any] | None = None,
        command: str | None = None,
    ) -> list[dict[str, Any]]:
        """Screen, normalise and pass one message on; always returns at least one reply.

        `command` is an intent the channel itself decided on (a shared contact, say): it skips
        screening, since it does not come from typed text.
        """
        metadata = dict(metadata or {})
        if await self.over_limit(sender):
            return [{"recipient_id": sender, "text": REPLIES["slow_down"]}]
        await self.buttons.load(sender)  # another server may have shown the last buttons
        before: list[dict[str, Any]] = []
        if command is not None:
            text: str | None = command
        else:
            verdict = screen(raw, self.max_chars)
            if verdict is not None:
                return [{"recipient_id": sender, "text": verdict.reply}]
            typed = normalise(raw)
            ending = farewell(typed)
            secret = volunteered_secret(typed)
            handoff = None if secret else await self.handoffs.open_for(sender)
            if handoff is not None:
                # An agent has the conversation: the message is theirs, unless the person leaves.
                if ending in ("restart", "logout") or self.buttons.resolve(sender, typed) == LEAVE_QUEUE["payload"]:
                    await self.handoffs.leave(handoff)  # and the bot answers this message
                else:
                    passed = await self.handoffs.pass_on(handoff, typed)
                    if passed is not False:  # False: given back to the bot meanwhile, so the bot answers
                        return [{"recipient_id": sender, "text": PASSED_ON if passed else REPLIES["busy"]}]
            if secret:
                # The secret never reaches Rasa, its store or its logs: the turn is a scam report.
                before.append({"recipient_id": sender, "text": REPLIES["secret"]})
                text = "/report_scam"
            elif ending is not None:
                text, metadata["ending"] = "/restart", ending  # our action_restart ends the session too
            elif self.buttons.out_of_range(sender, typed):
                offered = self.buttons.offered(sender)
                again = REPLIES["pick_again"].format(count=len(offered))
                return [{"recipient_id": sender, "text": again, "buttons": offered}]
            else:
                text = self.buttons.resolve(sender, typed)
        if text is None:
            return [{"recipient_id": sender, "text": REPLIES["command"]}]
        messages = await self.turn(on_new_message, sender, text, metadata)
        if messages is None:
            return [*before, {"recipient_id": sender, "text": REPLIES["busy"]}]
        messages = await self.handoffs.after_turn(sender, messages)
        self.buttons.remember(sender, messages)
        await self.buttons.save(sender)
        return [*before, *messages] or [{"recipient_id": sender, "text": REPLIES["busy"]}]

    async def turn(
        self, on_new_message: Handler, sender: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        """The bot's replies to one message, or None when the turn failed or took too long.

        A timed-out turn is cancelled: Rasa releases the conversation's lock on the way out and
        stores nothing of it, so the next message finds the conversation as it was.
        """
        collector = CollectingOutputChannel()
        message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata or None)
        with watching_store() as problems:
            try:
                await asyncio.wait_for(on_new_message(message), self.turn_timeout_s)
            except asyncio.TimeoutError:
                LOG.error("a turn on the %s channel took longer than %.0f s", self.name(), self.turn_timeout_s)
                return None
            except Exception as error:  # noqa: BLE001 - the person gets a reply, the log no user text
                LOG.error("message from %s channel failed: %s", self.name(), type(error).__name__)
                return None
        if problems:
            return None  # answered without the person's conversation: not an answer to give
        return collector.messages

    def health(self, hook: Blueprint) -> None:
        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})


class GuardedRestInput(GuardedInput):
    """POST /webhooks/rest/webhook for integrations and tests, with REST_TOKEN."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        super().__init__()
        self.token = get_settings().rest_token

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        hook = Blueprint("guarded_rest", __name__)
        self.health(hook)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.token:
                return bad_request("the REST channel is off (REST_TOKEN is not set)", 403)
            if not same_secret(bearer(request), self.token):
                return response.json({"error": "unauthorised"}, status=401, headers={"WWW-Authenticate": "Bearer"})
            body = self.body(request)
            if isinstance(body, HTTPResponse):
                return body
            sender = valid_sender(body.get("sender"), REST_SENDER)
            if sender is None:
                return bad_request("sender must be 1-64 of A-Z a-z 0-9 _ . -")
            replies = await self.handle(on_new_message, f"rest:{sender}", body.get("message"))
            return response.json([{**reply, "recipient_id": sender} for reply in replies])

        return hook
