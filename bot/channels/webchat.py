"""The web chat of `make run`: a page at /webhooks/webchat/chat, its webhook, its history, and its
inbox of agents' replies during a human handoff (/webhooks/webchat/inbox, asked for by the page).

The page never names its sender. The server issues a random conversation id (`web:` + 26 letters)
in a cookie signed with WEB_COOKIE_SECRET (HMAC-SHA256; HttpOnly, SameSite=Lax, for this path
only), so a reload keeps the conversation and nobody can choose, or guess, someone else's. A
request without a valid cookie starts a new conversation; a body that names a sender is refused.

The page posts nothing by itself. On load it asks GET /webhooks/webchat/history for the first
screen (the main menu and the hotline) and the current session's transcript read from the tracker
store, so a reload or the VNeID detour finds the conversation where it was, with the last
answer's buttons still the ones that work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import string
import time
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import REPLIES, WEB_SENDER, valid_sender
from bot.channels.rest import GuardedInput, Handler, bad_request
from bot.channels.transcript import open_buttons, transcript
from bot.state import StateUnavailable, shared_state
from bot.tracker_store import watching_store
from core.contact import contact_lines
from core.handoff import read_staff_ticket
from core.settings import get_settings

LOG = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
COOKIE = "tlas_web"
COOKIE_PATH = "/webhooks/webchat"
STAFF_MODE_S = 8 * 3600  # an agent-mode conversation stays one for a working day
ID_LETTERS = 26  # a-z: about 122 bits, and no digits for the masking of stored text to touch
FIRST_SCREEN = ("utter_greet", "utter_help")  # the domain's main menu, as the greeting shows it
DOOR_REPLIES = frozenset(text for reason, text in REPLIES.items() if reason != "secret")
FALLBACK_GREETING = "Dạ, cháu chào Bác. Cháu là Trợ lý An sinh. Bác gõ câu hỏi để cháu giúp nhé."


def new_sender() -> str:
    return "web:" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(ID_LETTERS))


def sign(sender: str, secret: str) -> str:
    """The cookie value for a conversation id: the id and its HMAC, so it cannot be made up."""
    mac = hmac.new(secret.encode(), sender.encode(), hashlib.sha256).digest()
    return f"{sender}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def verify(cookie: str | None, secret: str) -> str | None:
    """The conversation id a cookie carries, or None when it is missing, malformed or forged."""
    sender, _, _mac = (cookie or "").rpartition(".")
    if valid_sender(sender, WEB_SENDER) is None:
        return None
    return sender if hmac.compare_digest(sign(sender, secret).encode(), str(cookie).encode()) else None


class WebChatInput(GuardedInput):
    """GET /webhooks/webchat/chat (the page), POST /webhooks/webchat/webhook (its messages)."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def __init__(self) -> None:
        super().__init__()
        self.secret = get_settings().web_cookie_secret
        if not self.secret:
            # `make run` keeps one under var/; without it, conversations last until this server restarts.
            LOG.warning("WEB_COOKIE_SECRET is not set: web chat conversations end when the server restarts")
            self.secret = secrets.token_urlsafe(32)

    def sender_of(self, request: Request) -> tuple[str, bool]:
        """This browser's conversation id, and whether it is new (then the cookie must be set)."""
        known = verify(request.cookies.get(COOKIE), self.secret)
        return (known, False) if known else (new_sender(), True)

    async def staff_of(self, sender: str) -> str | None:
        """The staff login of an agent-mode conversation, or None for a member of the public."""
        try:
            return await shared_state().get(f"staff:{sender}")
        except StateUnavailable:
            return None

    async def _first_use(self, ticket: str) -> bool:
        try:
            return await shared_state().first_time(f"staff-ticket:{ticket[-64:]}", 120)
        except StateUnavailable:
            return False

    def with_cookie(self, reply: HTTPResponse, request: Request, sender: str) -> HTTPResponse:
        reply.cookies[COOKIE] = sign(sender, self.secret)
        cookie = reply.cookies[COOKIE]
        cookie["path"] = COOKIE_PATH
        cookie["httponly"] = True
        cookie["samesite"] = "Lax"
        if request.headers.get("X-Forwarded-Proto", request.scheme) == "https":
            cookie["secure"] = True
        return reply

    def first_screen(self, request: Request) -> dict[str, Any]:
        """The greeting with the main menu, from the running model's domain, and the hotline."""
        agent = getattr(request.app.ctx, "agent", None)
        responses = getattr(getattr(agent, "domain", None), "responses", None) or {}
        shown: dict[str, Any] = {"text": FALLBACK_GREETING, "buttons": []}
        for name in FIRST_SCREEN:
            plain = [v for v in responses.get(name) or [] if v.get("text") and not v.get("condition")]
            if plain:
                shown = {"text": plain[0]["text"], "buttons": [
                    {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                    for b in plain[0].get("buttons") or []
                ]}  # fmt: skip
                break
        return {**shown, "contact": contact_lines()}

    def idle_limit_s(self, request: Request) -> float:
        """After this long without a message the conversation is over (Rasa's session, the verified session)."""
        agent = getattr(request.app.ctx, "agent", None)
        config = getattr(getattr(agent, "domain", None), "session_config", None)
        minutes = float(get_settings().session_idle_min)
        expiry = getattr(config, "session_expiration_time", 0) or 0
        return 60 * (min(minutes, expiry) if expiry > 0 else minutes)

    async def stored_events(self, request: Request, sender: str) -> list[dict[str, Any]] | None:
        """The conversation's stored events (current session), [] if none, None if the store failed."""
        agent = getattr(request.app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return []
        with watching_store() as problems:
            tracker = await store.retrieve(sender)
        if problems:
            return None
        return [event.as_dict() for event in tracker.events] if tracker is not None else []

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        hook = Blueprint("webchat", __name__)
        page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        self.health(hook)

        @hook.route("/chat", methods=["GET"])
        async def chat_page(request: Request) -> HTTPResponse:
            sender, new = self.sender_of(request)
            reply = response.html(page, headers={"Cache-Control": "no-store"})
            return self.with_cookie(reply, request, sender) if new else reply

        @hook.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            sender, new = self.sender_of(request)
            if not new and await self.over_limit(sender):  # each load reads the store: counted like a message
                return response.json({"error": REPLIES["slow_down"]}, status=429)
            first = self.first_screen(request)
            events = [] if new else await self.stored_events(request, sender)
            if events is None:
                body: dict[str, Any] = {"first": first, "messages": [], "error": REPLIES["busy"]}
            else:
                lines = transcript(events, time.time(), self.idle_limit_s(request), first["buttons"])
                # What the page offers is what typed numbers pick, also after a restart of this server.
                offered = open_buttons(lines) if lines else first["buttons"]
                self.buttons.remember(sender, [{"buttons": offered}])
                await self.buttons.save(sender)
                body = {"first": first, "messages": [line.as_dict() for line in lines]}
            reply = response.json(body, headers={"Cache-Control": "no-store"})
            return self.with_cookie(reply, request, sender) if new else reply

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = self.body(request)
            if isinstance(body, HTTPResponse):
                return body
            if "sender" in body:
                return bad_request("the web chat's sender comes from its cookie, not from the page")
            sender, new = self.sender_of(request)
            staff = None if new else await self.staff_of(sender)
            metadata = {"staff": staff} if staff else None  # agent mode: a staff member types for a customer
            replies: list[dict[str, Any]] = await self.handle(on_new_message, sender, body.get("message"), metadata)
            shown = [{key: value for key, value in m.items() if key != "recipient_id"} for m in replies]
            if all(m.get("text") in DOOR_REPLIES and not m.get("buttons") for m in shown):
                # Answered at the door (a refused command, too fast, busy): the conversation did not
                # move, so the page opens the last answer's buttons again.
                shown = [{**m, "unchanged": True} for m in shown]
            reply = response.json(shown)
            return self.with_cookie(reply, request, sender) if new else reply

        @hook.route("/staff", methods=["GET"])
        async def staff_login(request: Request) -> HTTPResponse:
            """Agent mode: the console's one-minute ticket opens a fresh conversation marked as a staff one."""
            login = read_staff_ticket(request.args.get("ticket", ""), get_settings().assist_token, time.time())
            if login is None or not await self._first_use(request.args.get("ticket", "")):
                return response.text("Đường dẫn đã hết hạn. Xin mở lại trợ lý từ bàn tổng đài.", status=403)
            sender = new_sender()
            try:
                await shared_state().put(f"staff:{sender}", login, STAFF_MODE_S)
            except StateUnavailable:
                return response.text("Hệ thống đang bận, xin thử lại sau ít phút.", status=503)
            LOG.info("agent mode opened in the web chat")
            return self.with_cookie(response.redirect(f"{COOKIE_PATH}/chat"), request, sender)

        @hook.route("/inbox", methods=["GET"])
        async def inbox(request: Request) -> HTTPResponse:
            """A tổng đài viên's replies to this browser's conversation (human handoff), once each."""
            sender = verify(request.cookies.get(COOKIE), self.secret)
            if sender is None:
                return response.json([])
            return response.json(await self.handoffs.inbox(sender), headers={"Cache-Control": "no-store"})

        return hook
