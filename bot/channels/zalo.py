"""Zalo Official Account channel: a webhook process relaying each person's message to the bridge channel.

`python -m bot.channels.zalo` serves POST /zalo/webhook (behind an HTTPS reverse proxy). Zalo wants
a 200 within 2 seconds, so a request is only verified (signature over the raw body, 5-minute
window), de-duplicated (on `message.msg_id`, or on sender + timestamp + a hash of the message when
an event has none; kept in the shared state, so a restart does not forget) and acknowledged; the
turn runs in the background and the replies go out through the OA consultation-message API ("tin
tư vấn"). Zalo shows no buttons there, so menus are numbered text lines, answered by typing the
number. At most 3 messages a turn: replies within 48 h are free only up to 8 per user message
(CHANNELS.md §2.1).

The same process sends the payment notifications of Zalo users (bot/notifier.py): it owns the OA's
rotating tokens, and a second process refreshing them would spend the single-use refresh token the
other still holds. A notification is a proactive message, which Zalo delivers only for a verified
OA and within its monthly quota; a refused one is retried later by the notifier, then given up.

The payload shapes, signature and error codes below come from secondary sources (CHANNELS.md §2.1,
§2.3); what they mark unconfirmed is marked UNCONFIRMED here. Verify against a real event. Also
UNCONFIRMED: Zalo's retries after a non-200 answer (a refused event may come back, and is refused
again) and whether the webhook is disabled after repeated failures.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.adapter import (
    NOT_TEXT_REPLY,
    BridgeClient,
    TurnLocks,
    configure_logging,
    first_delivery,
    menu_text,
)
from bot.handoff import AgentRelay
from bot.notifier import Notifier, Pace
from core.settings import Settings, get_settings
from core.text import fold_words

LOG = logging.getLogger("bot.channels.zalo")
WEBHOOK_PATH = "/zalo/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_AGE_MS = 5 * 60 * 1000  # replay window on the event's own timestamp (milliseconds)
EVENT_MEMORY_S = 3600.0  # far longer than the replay window: an older copy is refused as stale anyway
MAX_MESSAGES_PER_TURN = 3
REFRESH_MARGIN_S = 300  # refresh this long before the access token expires
# UNCONFIRMED: -216 is what a Chatwoot fork treats as an expired token, -201 "Invalid access
# token" comes from Caresoft's table. A needless refresh costs one refresh and one retry.
EXPIRED_TOKEN_ERRORS = frozenset({-216, -201})
# UNCONFIRMED event names (Chatwoot-fork job); each gets the polite "text only" reply.
NOT_TEXT_EVENTS = frozenset(
    {
        "user_send_image",
        "user_send_gif",
        "user_send_sticker",
        "user_send_file",
        "user_send_audio",
        "user_send_video",
        "user_send_location",
        "user_send_link",
        "user_send_business_card",
    }
)
USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")  # what the bridge accepts after "zalo:" (ASCII)
MENU_HINT = "Bác gõ số (1, 2...) để chọn ạ."


class ZaloError(Exception):
    """Zalo refused a call (its errors come as HTTP 200 with `error` != 0)."""


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> str:
    """`mac=` + sha256 hex of app_id + raw body + timestamp + OA secret key.

    UNCONFIRMED against developers.zalo.me: this is the majority reading (Chatwoot fork, PHP
    samples); the key is the OA secret key, not the app secret, and the raw bytes are hashed.
    """
    digest = hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret.encode()).hexdigest()
    return f"mac={digest}"


def verify_event(
    header: str | None, raw_body: bytes, event: Any, app_id: str, oa_secret: str, now_ms: float | None = None
) -> str | None:
    """Why an incoming event must be refused, or None when it is genuine and fresh."""
    if not header:
        return "no signature"
    if not isinstance(event, dict):
        return "not an event"
    timestamp = str(event.get("timestamp", ""))
    if not timestamp.isdigit():
        return "no timestamp"
    expected = signature(app_id, raw_body, timestamp, oa_secret)
    given = header.strip()
    if not given.startswith("mac="):  # some implementations send the bare hex (UNCONFIRMED)
        given = f"mac={given}"
    if not hmac.compare_digest(given.lower().encode(), expected.encode()):
        return "bad signature"
    if str(event.get("app_id", app_id)) != app_id:
        return "other app"
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    if abs(now_ms - int(timestamp)) > MAX_AGE_MS:
        return "stale timestamp"
    return None


def delivery_key(event: dict[str, Any]) -> str:
    """What makes one Zalo event itself: its `msg_id`, or else who sent what when (a hash, no text kept)."""
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    if message.get("msg_id") is not None:
        return f"zalo:msg:{message['msg_id']}"
    sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
    content = json.dumps([event.get("event_name"), sender.get("id"), event.get("timestamp"), message], sort_keys=True)
    return "zalo:event:" + hashlib.sha256(content.encode()).hexdigest()


def render_turn(replies: list[dict[str, Any]]) -> list[str]:
    """The bot's messages as Zalo texts: buttons become numbered lines with a hint to type the
    number, and a turn is at most 3 messages (the rest joins the third)."""
    texts = []
    for reply in replies:
        text = menu_text(reply)
        if reply.get("buttons") and "go so" not in fold_words(text):
            text = f"{text}\n{MENU_HINT}"
        if text:
            texts.append(text)
    if len(texts) > MAX_MESSAGES_PER_TURN:
        texts = texts[: MAX_MESSAGES_PER_TURN - 1] + ["\n\n".join(texts[MAX_MESSAGES_PER_TURN - 1 :])]
    return texts


@dataclass
class Tokens:
    access_token: str = ""
    refresh_token: str = ""
    expires_at: float = 0.0  # epoch seconds; 0 when unknown (first tokens from the environment)


class TokenStore:
    """The OA's access token, refreshed before it expires and when Zalo says it has; the rotated
    refresh token is single-use, so it is written to disk atomically before it is used again.

    Refresh: POST {oauth}/v4/oa/access_token, form `refresh_token`, `app_id`,
    `grant_type=refresh_token`, header `secret_key: <app secret>`; the answer has a new
    access_token, a new refresh_token and `expires_in` (seconds; its length is UNCONFIRMED, 1 h or 25 h).
    """

    def __init__(self, path: Path, app_id: str, app_secret: str, oauth_base_url: str, initial: Tokens) -> None:
        self.path = path
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.tokens = self.load() or initial
        self._lock = asyncio.Lock()

    def load(self) -> Tokens | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return Tokens(str(data["access_token"]), str(data["refresh_token"]), float(data.get("expires_at", 0)))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            LOG.error("token file %s unreadable; using the tokens from the environment", self.path)
            return None

    def save(self, tokens: Tokens) -> None:
        """Write a temporary file beside the real one, flush it to disk, then rename it over."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(asdict(tokens), file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def expiring(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return bool(self.tokens.expires_at) and self.tokens.expires_at - REFRESH_MARGIN_S <= now

    async def access_token(self, session: aiohttp.ClientSession) -> str:
        if self.expiring() or not self.tokens.access_token:
            return await self.refresh(session, self.tokens.access_token)
        return self.tokens.access_token

    async def refresh(self, session: aiohttp.ClientSession, stale: str) -> str:
        """A fresh access token; one refresh at a time, and none if another call already replaced `stale`."""
        async with self._lock:
            if self.tokens.access_token != stale and not self.expiring():
                return self.tokens.access_token
            if not self.tokens.refresh_token:
                raise ZaloError("no refresh token")
            form = {"refresh_token": self.tokens.refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
            async with session.post(
                f"{self.oauth_base_url}/v4/oa/access_token", data=form, headers={"secret_key": self.app_secret}
            ) as reply:
                answer = await reply.json(content_type=None)
            if not isinstance(answer, dict) or not answer.get("access_token") or not answer.get("refresh_token"):
                code = answer.get("error") if isinstance(answer, dict) else None
                raise ZaloError(f"token refresh refused (error {code})")
            lifetime = float(answer.get("expires_in") or 0)  # Zalo sends it as a string
            tokens = Tokens(
                str(answer["access_token"]), str(answer["refresh_token"]), time.time() + lifetime if lifetime else 0.0
            )
            self.save(tokens)
            self.tokens = tokens
            LOG.info("Zalo access token refreshed")
            return tokens.access_token


class ZaloClient:
    """Sends consultation messages: POST {api}/v3.0/oa/message/cs with header `access_token`."""

    def __init__(self, api_base_url: str, tokens: TokenStore) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self.tokens = tokens

    async def send_text(self, session: aiohttp.ClientSession, user_id: str, text: str) -> bool:
        """Send one text; on an expired-token error refresh once and send again. False if not sent.

        UNCONFIRMED: replies are said to stay in the free quota only with the user's message id
        as reply-to; the official SDK's text body has no such field, so none is sent.
        """
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        for attempt in (1, 2):
            try:
                token = await self.tokens.access_token(session)
                async with session.post(
                    f"{self.api_base_url}/v3.0/oa/message/cs", json=body, headers={"access_token": token}
                ) as reply:
                    answer = await reply.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, ZaloError) as error:
                LOG.error("Zalo message not sent: %s", type(error).__name__)
                return False
            code = answer.get("error", -1) if isinstance(answer, dict) else -1
            if code == 0:
                return True
            if code in EXPIRED_TOKEN_ERRORS and attempt == 1:
                try:
                    await self.tokens.refresh(session, token)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, ZaloError) as error:
                    LOG.error("Zalo token not refreshed: %s", type(error).__name__)
                    return False
                continue
            LOG.error("Zalo refused a message: error %s", code)
            return False
        return False


class ZaloSender:
    """Payment notifications to Zalo users through the adapter's client, never inside a turn under way."""

    def __init__(self, adapter: ZaloAdapter) -> None:
        self.adapter = adapter
        self.pace = Pace(adapter.settings.zalo_chat_interval_s, adapter.settings.zalo_max_per_second)

    async def send(self, chat: str, text: str) -> bool:
        if not USER_ID.match(chat):
            return False
        async with self.adapter.locks.hold(chat):
            await self.pace.wait(chat)
            return await self.adapter.client.send_text(await self.adapter.session(), chat, text)


class ZaloAdapter:
    """The webhook: verify, de-duplicate, acknowledge, then relay in the background, in order per person."""

    def __init__(self, settings: Settings, bridge: BridgeClient | None = None) -> None:
        self.settings = settings
        self.bridge = bridge or BridgeClient(settings.bridge_url, settings.bridge_token, "zalo")
        initial = Tokens(settings.zalo_access_token, settings.zalo_refresh_token)
        self.tokens = TokenStore(
            settings.zalo_token_file, settings.zalo_app_id, settings.zalo_app_secret, settings.zalo_oauth_base_url,
            initial,
        )  # fmt: skip
        self.client = ZaloClient(settings.zalo_api_base_url, self.tokens)
        self.locks = TurnLocks()
        self.tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self.notifier = Notifier(
            settings.payment_url, {"zalo": ZaloSender(self)}, timeout_s=settings.service_timeout_s,
            quiet_hours=settings.notify_quiet_hours,
        )  # fmt: skip
        self._stop_notifier = asyncio.Event()
        self._notifier_task: asyncio.Task[None] | None = None
        self._relay_task: asyncio.Task[None] | None = None

    async def receive(self, request: web.Request) -> web.Response:
        raw = await request.read()  # the signature covers these exact bytes, not re-serialised JSON
        try:
            event = json.loads(raw)
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        refusal = verify_event(
            request.headers.get(SIGNATURE_HEADER), raw, event, self.settings.zalo_app_id, self.settings.zalo_oa_secret
        )
        if refusal is not None:
            LOG.warning("Zalo event refused: %s", refusal)
            return web.json_response({"error": "forbidden"}, status=403)
        if not await first_delivery(delivery_key(event), EVENT_MEMORY_S):
            return web.json_response({"status": "duplicate"})
        task = asyncio.create_task(self.handle(event))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.json_response({"status": "accepted"})

    async def handle(self, event: dict[str, Any]) -> None:
        """One event, after the acknowledgement: a text goes to the assistant, other messages get
        the polite "text only" reply, everything else (follow, seen, OA echoes...) is ignored."""
        name = event.get("event_name")
        sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
        user_id = str(sender.get("id", ""))
        if name != "user_send_text" and name not in NOT_TEXT_EVENTS:
            return  # anonymous_send_text would need the v2 API with anonymous_id; not handled
        if not USER_ID.match(user_id):
            LOG.warning("Zalo event without a usable sender id ignored")
            return
        try:
            async with self.locks.hold(user_id):
                if name == "user_send_text":
                    message = event.get("message") if isinstance(event.get("message"), dict) else {}
                    replies = await self.bridge.turn(f"zalo:{user_id}", str(message.get("text") or ""))
                    texts = render_turn(replies)
                else:
                    texts = [NOT_TEXT_REPLY]
                session = await self.session()
                for text in texts:
                    if not await self.client.send_text(session, user_id, text):
                        break
        except Exception as error:  # noqa: BLE001 - a background task: log the kind, never the text
            LOG.error("Zalo event not handled: %s", type(error).__name__)

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._session

    async def start_notifier(self) -> None:
        self._stop_notifier.clear()
        self._notifier_task = asyncio.create_task(
            self.notifier.run(self.settings.notify_interval_s, self._stop_notifier)
        )
        # Agents' replies during a human handoff go out through the same client and pace.
        relay = AgentRelay("zalo", self.notifier.senders["zalo"])
        self._relay_task = asyncio.create_task(relay.run(self.settings.handoff_relay_interval_s, self._stop_notifier))

    async def close(self) -> None:
        """Stop the notifier, let turns under way finish (briefly), then close the HTTP clients."""
        if self._notifier_task is not None:
            self._stop_notifier.set()
            await asyncio.wait([self._notifier_task, *([self._relay_task] if self._relay_task else [])], timeout=10)
            self._notifier_task = self._relay_task = None
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=10)
        await self.bridge.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def app(self) -> web.Application:
        async def health(_request: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        async def on_startup(_app: web.Application) -> None:
            await self.start_notifier()

        async def on_cleanup(_app: web.Application) -> None:
            await self.close()

        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(WEBHOOK_PATH, self.receive)
        app.router.add_get("/health", health)
        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)
        return app


def main() -> None:
    settings = get_settings()
    secrets = [settings.zalo_oa_secret, settings.zalo_app_secret, settings.bridge_token]
    configure_logging([*secrets, settings.zalo_access_token, settings.zalo_refresh_token])
    if not settings.zalo_app_id or not settings.zalo_oa_secret:
        raise SystemExit("ZALO_APP_ID and ZALO_OA_SECRET must be set")
    if not settings.bridge_token:
        raise SystemExit("BRIDGE_TOKEN is not set (make run generates one)")
    adapter = ZaloAdapter(settings)
    if not adapter.tokens.tokens.access_token and not adapter.tokens.tokens.refresh_token:
        LOG.warning("no Zalo tokens (environment or %s): replies will fail", settings.zalo_token_file)
    LOG.info("Zalo webhook on %s:%d%s", settings.host, settings.zalo_webhook_port, WEBHOOK_PATH)
    web.run_app(adapter.app(), host=settings.host, port=settings.zalo_webhook_port, access_log=None, print=None)


if __name__ == "__main__":
    main()
