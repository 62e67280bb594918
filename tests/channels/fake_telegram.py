"""A fake Telegram Bot API on 127.0.0.1: the methods our adapter uses, with every call recorded.

Reached by pointing TELEGRAM_API_BASE_URL at `<url>/bot`. Several bot tokens can share it (the
polling and the webhook adapter of the tests). It can answer one call with HTTP 429 and a
`retry_after`, as Telegram does when a bot sends too fast.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.channels.background import BackgroundServer

BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "Trợ lý An sinh", "username": "tlas_test_bot"}
JSON_FIELDS = ("reply_markup", "allowed_updates")


@dataclass
class Call:
    token: str
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class _Planned429:
    method: str
    chat_id: int | None
    retry_after: int


@dataclass
class _Bot:
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1


class FakeTelegram(BackgroundServer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self._bots: dict[str, _Bot] = {}
        self._planned: list[_Planned429] = []
        self._changed: asyncio.Event | None = None
        self._message_id = 1000

    # ---- what tests use ---------------------------------------------------------------------------

    def push_update(self, token: str, update: dict[str, Any]) -> None:
        """Queue an update for the bot's next getUpdates (long polling)."""
        self.call(self._push, token, update)

    def answer_429_once(self, method: str, retry_after: int, chat_id: int | None = None) -> None:
        with self.lock:
            self._planned.append(_Planned429(method, chat_id, retry_after))

    def recorded(self, token: str, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        with self.lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.token == token
            and (method is None or c.method == method)
            and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def sent(self, token: str, chat_id: int) -> list[dict[str, Any]]:
        """Messages delivered to a chat (429-refused attempts left out), oldest first."""
        return [c.params for c in self.recorded(token, "sendMessage", chat_id) if c.status == 200]

    # ---- the server -------------------------------------------------------------------------------

    def _bot(self, token: str) -> _Bot:
        return self._bots.setdefault(token, _Bot())

    def _push(self, token: str, update: dict[str, Any]) -> None:
        bot = self._bot(token)
        bot.updates.append({"update_id": bot.next_update_id, **update})
        bot.next_update_id += 1
        if self._changed is not None:
            self._changed.set()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await self._params(request)
        call = Call(token, method, params, time.monotonic())
        with self.lock:
            self.calls.append(call)
            planned = next(
                (
                    p
                    for p in self._planned
                    if p.method == method and (p.chat_id is None or p.chat_id == params.get("chat_id"))
                ),
                None,
            )
            if planned is not None:
                self._planned.remove(planned)
                call.status = 429
        if planned is not None:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {planned.retry_after}",
                    "parameters": {"retry_after": planned.retry_after},
                },
                status=429,
            )
        result = await self._answer(token, method, params)
        if result is None:
            call.status = 404
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            params = dict(await request.json())
        else:
            params = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
        for name in JSON_FIELDS:
            if isinstance(params.get(name), str):
                params[name] = json.loads(params[name])
        for name in ("chat_id", "offset", "timeout", "message_id"):
            if isinstance(params.get(name), str) and params[name].lstrip("-").isdigit():
                params[name] = int(params[name])
        return params

    async def _answer(self, token: str, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("setWebhook", "deleteWebhook", "answerCallbackQuery", "editMessageReplyMarkup"):
            return True
        if method == "sendMessage":
            self._message_id += 1
            return {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": params["chat_id"], "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        if method == "getUpdates":
            return await self._get_updates(token, params)
        return None

    async def _get_updates(self, token: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling: confirm what is below `offset`, then wait up to `timeout` s for updates."""
        bot = self._bot(token)
        offset = int(params.get("offset") or 0)
        bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 10.0)
        while not bot.updates and time.monotonic() < deadline:
            self._changed = self._changed or asyncio.Event()
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                break
            if changed is self._changed:
                self._changed = None
        return list(bot.updates)
