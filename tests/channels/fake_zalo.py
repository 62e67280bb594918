"""A fake Zalo OA Open API on 127.0.0.1: the consultation-message endpoint and the OAuth token refresh.

Tokens behave as CHANNELS.md §2.1 describes them: a refresh issues a new access token and a new
single-use refresh token, and the old ones stop working. `expire_access_token()` makes the current
access token fail once with error -216, as an expired one does.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.channels.background import BackgroundServer

APP_ID = "4143901234567890"
APP_SECRET = "zalo-app-secret-test"
OA_SECRET = "zalo-oa-secret-test"


@dataclass
class Sent:
    user_id: str
    text: str
    access_token: str
    at: float


class FakeZalo(BackgroundServer):
    def __init__(self) -> None:
        super().__init__()
        self._serial = itertools.count(1)
        self.access_token = "zalo-access-0"
        self.refresh_token = "zalo-refresh-0"
        self.expires_in = 90_000  # what the next refresh announces, in seconds
        self.delay_s = 0.0  # how long the message API takes to answer
        self.sent: list[Sent] = []
        self.refused: list[str] = []  # access tokens the message API refused
        self.refreshes: list[dict[str, str]] = []
        self.refusing: dict[str, int] = {}  # user id -> the error Zalo answers for messages to them
        self.attempts: list[str] = []  # the recipient of every message call, answered or not

    def expire_access_token(self) -> None:
        with self.lock:
            self.access_token = f"expired-{next(self._serial)}"  # the adapter's token is no longer it

    def refuse_messages_to(self, user_id: str, error: int = -230) -> None:
        """Messages to this user fail as Zalo answers when it will not deliver (the code is a stand-in:
        UNCONFIRMED which number means "outside the window" or "quota spent")."""
        with self.lock:
            self.refusing[user_id] = error

    def messages_to(self, user_id: str) -> list[Sent]:
        with self.lock:
            return [m for m in self.sent if m.user_id == user_id]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self.message)
        app.router.add_post("/v4/oa/access_token", self.token)
        return app

    async def message(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        body: dict[str, Any] = await request.json()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        with self.lock:
            self.attempts.append(str(body["recipient"]["user_id"]))
            if token != self.access_token:
                self.refused.append(token)
                return web.json_response({"error": -216, "message": "Access token is invalid"})
            refused = self.refusing.get(str(body["recipient"]["user_id"]))
            if refused is not None:
                return web.json_response({"error": refused, "message": "User has not interacted with the OA"})
            self.sent.append(Sent(str(body["recipient"]["user_id"]), body["message"]["text"], token, time.monotonic()))
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": f"m{next(self._serial)}"}})

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        with self.lock:
            if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
                return web.json_response({"error": -14002, "error_name": "Invalid app", "error_description": "x"})
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
                return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
            serial = next(self._serial)
            self.access_token = f"zalo-access-{serial}"
            self.refresh_token = f"zalo-refresh-{serial}"
            self.refreshes.append({"refresh_token": str(form["refresh_token"])})
            answer = {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": str(self.expires_in),  # Zalo sends it as a string
            }
        return web.json_response(answer)
