"""Telegram channel: a python-telegram-bot process relaying each person's messages to the bridge channel.

`python -m bot.channels.telegram` long-polls when only TELEGRAM_BOT_TOKEN is set (development: no
public URL needed). With TELEGRAM_WEBHOOK_URL it registers that webhook with a secret token and serves
it itself (behind an HTTPS reverse proxy), refusing requests without the secret. It runs apart from
Rasa because PTB's extras and Rasa 3.6 pin conflicting APScheduler versions (CHANNELS.md §0).

Conversation ids are `tg:<chat id>`. Bot buttons become inline keyboards and every tap is answered;
a message asking for the phone number offers Telegram's "share contact" button, and a contact is used
only when it is the sender's own. An update Telegram delivers again (same `update_id`, also after a
restart of this process) is dropped. Logs carry no message text, phone number or token.

The same process sends the payment messages of Telegram users who opted in (bot/notifier.py),
through the same bot and Pacer as the replies: one pacer per bot token, so replies and payment
messages together stay within Telegram's limits.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import signal
import sys
import time
import warnings
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Callable, Coroutine
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseRateLimiter,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.adapter import (
    NOT_TEXT_REPLY,
    BridgeClient,
    TurnLocks,
    configure_logging,
    first_delivery,
    menu_text,
)
from bot.handoff import AgentRelay
from bot.notifier import Notifier
from core.settings import Settings, get_settings
from core.text import fold_words

LOG = logging.getLogger("bot.channels.telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MAX_CALLBACK_BYTES = 64  # InlineKeyboardButton.callback_data limit, in UTF-8 bytes
MAX_TEXT_CHARS = 4096
MAX_BUTTONS = 100
KEY_PREFIX = "#"  # callback data standing for a long payload kept in CallbackKeys
CONTACT_BUTTON = "Chia sẻ số điện thoại"
POLL_TIMEOUT_S = 10
START_RETRY_S = 5.0
UPDATE_MEMORY_S = 2 * 86400  # Telegram keeps an undelivered update for 24 hours
REPLIES = {
    "other_contact": "Dạ, đây là số điện thoại của người khác nên cháu không dùng được. "
    "Bác bấm nút “Chia sẻ số điện thoại” để gửi số của chính Bác nhé.",
    "old_button": "Dạ, nút này đã cũ. Bác gõ lại câu hỏi giúp cháu nhé.",
    "no_text": "Bác chọn một mục dưới đây ạ:",
}
# Telegram's own commands, said the way the assistant understands them.
COMMANDS = {"/start": "xin chào", "/help": "menu", "/menu": "menu"}


def asks_for_contact(message: dict[str, Any]) -> bool:
    """Whether a bot message asks for the phone number, so the "share contact" button goes with it.

    A conversation triggers it explicitly with custom JSON `{"ask_contact": true}`, or by text
    containing "chia sẻ số điện thoại".
    """
    custom = message.get("custom")
    if isinstance(custom, dict) and custom.get("ask_contact") is True:
        return True
    return "chia se so dien thoai" in fold_words(str(message.get("text") or ""))


def contact_keyboard() -> ReplyKeyboardMarkup:
    """One big button (the default height suits elderly users) that shares the sender's own contact."""
    return ReplyKeyboardMarkup([[KeyboardButton(CONTACT_BUTTON, request_contact=True)]], one_time_keyboard=True)


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB_TIMEDELTA (PTB v22.2 migration)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Pacer(BaseRateLimiter[None]):
    """Spaces what the bot sends: at most one message per `chat_interval_s` in each chat and
    `max_per_second` overall (Telegram's Bot FAQ), and waits out a 429's retry_after, then retries.

    Slots are reserved in call order, so a chat's messages keep their order. Only "send" methods are
    paced per chat; answering a tap or editing a keyboard counts only towards the overall rate.
    """

    def __init__(self, chat_interval_s: float = 1.0, max_per_second: float = 30.0, max_retries: int = 3) -> None:
        self.chat_interval_s = chat_interval_s
        self.global_interval_s = 1.0 / max_per_second if max_per_second > 0 else 0.0
        self.max_retries = max_retries
        self._next_global = 0.0
        self._next_chat: dict[str, float] = {}

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        self._next_chat.clear()

    def _reserve_chat(self, chat: str) -> float:
        now = time.monotonic()
        slot = max(now, self._next_chat.get(chat, 0.0))
        self._next_chat[chat] = slot + self.chat_interval_s
        if len(self._next_chat) > 10_000:  # forget chats whose slot has passed
            self._next_chat = {key: due for key, due in self._next_chat.items() if due > now}
        return slot - now

    def _reserve_global(self) -> float:
        now = time.monotonic()
        slot = max(now, self._next_global)
        self._next_global = slot + self.global_interval_s
        return slot - now

    def hold_chat(self, chat: str, seconds: float) -> None:
        """Nothing more goes to this chat for `seconds` (after a 429)."""
        self._next_chat[chat] = max(self._next_chat.get(chat, 0.0), time.monotonic() + seconds)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = str(data["chat_id"]) if endpoint.startswith("send") and "chat_id" in data else None
        attempt = 0
        while True:
            if chat is not None:
                await asyncio.sleep(self._reserve_chat(chat))
            await asyncio.sleep(self._reserve_global())
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                attempt += 1
                if attempt > self.max_retries:
                    raise
                wait = retry_seconds(error)
                LOG.warning("Telegram asked to wait %.0f s (429) before %s; retry %d", wait, endpoint, attempt)
                if chat is not None:
                    self.hold_chat(chat, wait)
                else:
                    await asyncio.sleep(wait)


class CallbackKeys:
    """Callback data for a button: its payload when that is short ASCII (≤ 64 bytes), otherwise a
    short key, remembered per chat (bounded), that stands for the payload."""

    def __init__(self, max_chats: int = 10_000, per_chat: int = 64) -> None:
        self.max_chats = max_chats
        self.per_chat = per_chat
        self._chats: OrderedDict[int, OrderedDict[str, str]] = OrderedDict()
        self._counter = 0

    @staticmethod
    def fits(payload: str) -> bool:
        return (
            0 < len(payload.encode()) <= MAX_CALLBACK_BYTES
            and payload.isascii()
            and payload.isprintable()
            and not payload.startswith(KEY_PREFIX)
        )

    def data_for(self, chat_id: int, payload: str) -> str:
        if self.fits(payload):
            return payload
        keys = self._chats.setdefault(chat_id, OrderedDict())
        self._chats.move_to_end(chat_id)
        self._counter += 1
        key = f"{KEY_PREFIX}{self._counter:x}"
        keys[key] = payload
        while len(keys) > self.per_chat:
            keys.popitem(last=False)
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        return key

    def payload_for(self, chat_id: int, data: str) -> str | None:
        """The payload a tapped button stands for; None for a key this process no longer knows."""
        if not data.startswith(KEY_PREFIX):
            return data or None
        return self._chats.get(chat_id, {}).get(data)


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


class TelegramAdapter:
    """Receives Telegram updates, relays them to the bridge one turn per chat, and sends the replies."""

    def __init__(self, settings: Settings, bridge: BridgeClient | None = None) -> None:
        self.settings = settings
        self.bridge = bridge or BridgeClient(settings.bridge_url, settings.bridge_token, "telegram")
        self.keys = CallbackKeys()
        self.locks = TurnLocks()
        self.pacer = Pacer(settings.telegram_chat_interval_s, settings.telegram_max_per_second)
        # Chats that were shown the contact keyboard: the next plain message takes it away again.
        self._contact_shown: OrderedDict[int, None] = OrderedDict()

    # ---- building ---------------------------------------------------------------------------------

    def build(self, webhook: bool) -> Application:
        """The PTB application; without its own updater in webhook mode (our aiohttp server feeds it)."""
        builder = (
            ApplicationBuilder()
            .token(self.settings.telegram_bot_token)
            .base_url(self.settings.telegram_api_base_url)
            .rate_limiter(self.pacer)
            .concurrent_updates(True)  # chats in parallel; TurnLocks keeps each chat in order
            # No JobQueue: PTB would build one on Rasa's APScheduler 3.9, older than the 3.10 it needs.
            .job_queue(None)
            .connection_pool_size(32)
            .pool_timeout(10.0)
        )
        if webhook:
            builder = builder.updater(None)
        application = builder.build()
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        application.add_handler(TypeHandler(Update, self.drop_repeats), group=-1)  # before every other handler
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(private & filters.CONTACT, self.on_contact))
        application.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        # Everything else a person sends in private: voice, photo, sticker, file, video, location...
        application.add_handler(MessageHandler(private, self.on_not_text))
        application.add_error_handler(self.on_error)
        return application

    # ---- handlers ---------------------------------------------------------------------------------

    async def drop_repeats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An update seen before (Telegram retries a webhook, or re-sends after a restart) goes no further."""
        bot_id = self.settings.telegram_bot_token.partition(":")[0]
        if not await first_delivery(f"tg:{bot_id}:update:{update.update_id}", UPDATE_MEMORY_S):
            LOG.info("repeated update dropped")
            raise ApplicationHandlerStop

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Typed text (and typed numbers, which the bridge maps to the buttons last offered)."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        text = message.text
        command = text.split(maxsplit=1)[0].split("@", 1)[0].lower() if text.startswith("/") else ""
        await self.relay(context.bot, message.chat_id, COMMANDS.get(command, text))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A tap on an inline button: answer it at once (the client shows a spinner until then), then
        take the keyboard away so it is not tapped twice, and send the payload as the message."""
        query = update.callback_query
        if query is None:
            return
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        payload = self.keys.payload_for(chat_id, query.data or "")
        if payload is None:
            await query.answer(REPLIES["old_button"])
            return
        await query.answer()
        if query.message is not None:
            try:
                await query.edit_message_reply_markup(reply_markup=None)
            except TelegramError as error:  # an old or already edited message: nothing to take away
                LOG.info("keyboard not removed: %s", type(error).__name__)
        await self.relay(context.bot, chat_id, payload)

    async def on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared contact counts only when it is the sender's own (the second factor of identity);
        a relative's card is refused politely and nothing reaches the assistant."""
        message = update.effective_message
        if message is None or message.contact is None:
            return
        sender = message.from_user
        if sender is None or message.contact.user_id != sender.id:
            LOG.info("someone else's contact refused")
            async with self.locks.hold(message.chat_id):
                await self.send(context.bot, message.chat_id, REPLIES["other_contact"], None)
            return
        await self.relay(context.bot, message.chat_id, "", {"shared_phone": message.contact.phone_number})

    async def on_not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None:
            async with self.locks.hold(message.chat_id):
                await self.send(context.bot, message.chat_id, NOT_TEXT_REPLY, None)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the kind of failure only: exception texts may quote what was sent."""
        LOG.error("update not handled: %s", type(context.error).__name__)

    # ---- relaying ---------------------------------------------------------------------------------

    async def relay(self, bot: Any, chat_id: int, text: str, metadata: dict[str, Any] | None = None) -> None:
        """One turn: the person's message to the bridge, the bot's replies back, in order per chat."""
        async with self.locks.hold(chat_id):
            replies = await self.bridge.turn(f"tg:{chat_id}", text, metadata)
            for reply_text, markup in self.render(chat_id, replies):
                if not await self.send(bot, chat_id, reply_text, markup):
                    break

    def render(self, chat_id: int, replies: list[dict[str, Any]]) -> list[tuple[str, Markup]]:
        """Bot messages as Telegram messages: buttons become an inline keyboard (one per row, big
        targets); a request for the phone number gets the contact button, its menu as numbered text."""
        out: list[tuple[str, Markup]] = []
        for reply in replies:
            buttons = [b for b in reply.get("buttons") or [] if isinstance(b, dict)][:MAX_BUTTONS]
            markup: Markup = None
            if asks_for_contact(reply):
                text = menu_text(reply)
                markup = contact_keyboard()
                self._contact_shown[chat_id] = None
                while len(self._contact_shown) > 10_000:
                    self._contact_shown.popitem(last=False)
            else:
                text = str(reply.get("text") or "").strip()
                if buttons:
                    markup = InlineKeyboardMarkup(
                        [
                            [
                                InlineKeyboardButton(
                                    str(b.get("title") or "")[:64] or "…",
                                    callback_data=self.keys.data_for(chat_id, str(b.get("payload") or "")),
                                )
                            ]
                            for b in buttons
                        ]
                    )
                    text = text or REPLIES["no_text"]
                elif text and chat_id in self._contact_shown:
                    markup = ReplyKeyboardRemove()
                    del self._contact_shown[chat_id]
            if not text:
                continue
            chunks = [text[i : i + MAX_TEXT_CHARS] for i in range(0, len(text), MAX_TEXT_CHARS)]
            out.extend((chunk, None) for chunk in chunks[:-1])
            out.append((chunks[-1], markup))
        return out

    async def send(self, bot: Any, chat_id: int, text: str, markup: Markup) -> bool:
        """Send one message (paced by the Pacer); False when the chat can no longer be reached."""
        try:
            await bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
        except Forbidden:
            LOG.info("chat blocked the bot; reply dropped")
            return False
        except TelegramError as error:
            LOG.error("message not sent: %s", type(error).__name__)
            return False
        return True

    # ---- payment messages ---------------------------------------------------------------------------

    def notifier(self, bot: Any) -> Notifier:
        """Payment messages to Telegram users, sent by this process's bot (and so its Pacer)."""
        return Notifier(
            self.settings.payment_url, {"tg": PaymentMessages(self, bot)}, timeout_s=self.settings.service_timeout_s,
            quiet_hours=self.settings.notify_quiet_hours,
        )  # fmt: skip

    # ---- running ----------------------------------------------------------------------------------

    def webhook_secret(self) -> str:
        secret = self.settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        if not SECRET_CHARS.match(secret):
            raise SystemExit("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
        return secret

    def webhook_app(self, application: Application, secret: str, path: str) -> web.Application:
        """The aiohttp app receiving Telegram's POSTs; 403 unless the secret-token header matches."""

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                return web.json_response({"error": "forbidden"}, status=403)
            try:
                update = Update.de_json(await request.json(), application.bot)
            except (ValueError, KeyError, TypeError):
                return web.json_response({"error": "not an update"}, status=400)
            if update is None:
                return web.json_response({"error": "not an update"}, status=400)
            await application.update_queue.put(update)
            return web.json_response({"ok": True})

        async def health(_request: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(path, receive)
        app.router.add_get("/health", health)
        return app

    async def _initialize(self, application: Application, stop: asyncio.Event) -> bool:
        """getMe until Telegram answers (it may be unreachable at boot); False if stopped first."""
        while not stop.is_set():
            try:
                await application.initialize()
                return True
            except InvalidToken:
                raise SystemExit("TELEGRAM_BOT_TOKEN was refused by Telegram") from None
            except NetworkError as error:
                LOG.warning("Telegram not reachable (%s); retrying in %.0f s", type(error).__name__, START_RETRY_S)
                try:
                    await asyncio.wait_for(stop.wait(), START_RETRY_S)
                except asyncio.TimeoutError:
                    pass
        return False

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Serve until `stop` is set (SIGINT/SIGTERM set it when run as a process)."""
        stop = stop or asyncio.Event()
        webhook_url = self.settings.telegram_webhook_url
        application = self.build(webhook=bool(webhook_url))
        await self.bridge.start()
        runner: web.AppRunner | None = None
        try:
            if not await self._initialize(application, stop):
                return
            try:
                await application.start()
                if webhook_url:
                    secret = self.webhook_secret()
                    path = urlsplit(webhook_url).path or "/"
                    runner = web.AppRunner(self.webhook_app(application, secret, path), access_log=None)
                    await runner.setup()
                    port = self.settings.telegram_webhook_port
                    await web.TCPSite(runner, self.settings.host, port).start()
                    await application.bot.set_webhook(
                        webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, max_connections=40
                    )
                    LOG.info("Telegram webhook registered; listening on %s:%d%s", self.settings.host, port, path)
                else:
                    assert application.updater is not None
                    await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT_S)
                    LOG.info("Telegram long polling started")
                payments = self.notifier(application.bot).run(self.settings.notify_interval_s, stop)
                notifier = asyncio.create_task(payments)
                # Agents' replies during a human handoff go out through the same bot and Pacer.
                agents = AgentRelay("tg", PaymentMessages(self, application.bot))
                relay = asyncio.create_task(agents.run(self.settings.handoff_relay_interval_s, stop))
                await stop.wait()
                await asyncio.wait([notifier, relay], timeout=10)
            finally:
                if runner is not None:
                    await runner.cleanup()
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()
                await application.shutdown()
        finally:
            await self.bridge.close()


class PaymentMessages:
    """The notifier's sender for Telegram: the adapter's bot and Pacer, never inside a turn under way."""

    def __init__(self, adapter: TelegramAdapter, bot: Any) -> None:
        self.adapter = adapter
        self.bot = bot

    async def send(self, chat: str, text: str) -> bool:
        try:
            chat_id = int(chat)
        except ValueError:
            return False
        async with self.adapter.locks.hold(chat_id):
            return await self.adapter.send(self.bot, chat_id, text, None)


def main() -> None:
    settings = get_settings()
    configure_logging([settings.telegram_bot_token, settings.bridge_token, settings.telegram_webhook_secret])
    if not settings.telegram_bot_token:
        sys.exit("TELEGRAM_BOT_TOKEN is not set")
    if not settings.bridge_token:
        sys.exit("BRIDGE_TOKEN is not set (make run generates one)")

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await TelegramAdapter(settings).run(stop)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
