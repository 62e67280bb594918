"""The whole assistant started as `make run` starts it, on free ports with throw-away databases.

`Chat` talks to it as each door's users do: an integration on REST (with REST_TOKEN; its senders
live under `rest:`), a browser on the web chat (the server names the sender in a signed cookie,
one cookie jar per test sender), our own adapters on the bridge (BRIDGE_TOKEN, `tg:`/`zalo:`).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Iterator

from bot.model_cache import ensure_model
from bot.runtime import Stack
from core.settings import get_settings
from services.seed import PEOPLE, cccd_of
from tests.conftest import free_port

BRIDGE_TOKEN = "test-bridge-token"
REST_TOKEN = "test-rest-token"


def identity_answers(index: int, first: str = "xác thực danh tính") -> list[str]:
    """What seeded person `index` types to prove who they are, message by message: the request, consent
    ("1" for "1. Đồng ý", typed as a number), CCCD, name and birth date."""
    person = PEOPLE[index]
    return [first, "1", cccd_of(index, person), person.name, person.born.strftime("%d/%m/%Y")]


def approve_in_vneid(reply: str, decision: str = "approve") -> None:
    """What the person does in the VNeID app (here: the stand-in's page, shown in demo mode)."""
    page = re.search(r"(http\S+/vneid/approvals/\w+/)", reply)
    assert page, reply
    body = json.dumps({"decision": decision}).encode()
    request = urllib.request.Request(
        page.group(1) + "decision", data=body, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).read()


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def running_stack(var_dir: Path, **overrides: str) -> Iterator[Chat]:
    ports = {"SERVICES_PORT": free_port(), "ACTION_PORT": free_port(), "RASA_PORT": free_port(),
             "VNEID_STANDIN_PORT": free_port(), "CONSOLE_PORT": free_port()}  # fmt: skip
    env = {
        **{name: str(port) for name, port in ports.items()},
        "DATABASE_URL": f"sqlite:///{var_dir / 'services.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{var_dir / 'tracker.db'}",
        "SERVICE_TIMEOUT_S": "1",
        "LINK_DECISION_DELAY_S": "0",
        "BRIDGE_TOKEN": BRIDGE_TOKEN,
        "REST_TOKEN": REST_TOKEN,
        "RATE_LIMIT_PER_MINUTE": "40",
        # Agents always at work, so a handoff is queued whatever the hour (callbacks: tests/core, tests/actions).
        "AGENT_HOURS": "off",
        "AGENT_DAYS": "0-6",
        "HANDOFF_RELAY_INTERVAL_S": "0.3",
        # No adapters unless asked for: another session stack's variables may still be set.
        "TELEGRAM_BOT_TOKEN": "",
        "ZALO_APP_ID": "",
        "ZALO_OA_SECRET": "",
        **overrides,
    }
    with environment(**env):
        stack = Stack(get_settings(), ensure_model(quiet=True), var_dir=var_dir, log_dir=var_dir / "logs")
        stack.start()
        try:
            yield Chat(stack)
        finally:
            stack.stop()


class Chat:
    """Talks to the channels like their users do (see the module docstring)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.url = f"http://127.0.0.1:{stack.settings.rasa_port}/webhooks"
        self.cookies: dict[str, str] = {}  # web chat: test sender -> the cookie the server issued

    @staticmethod
    def rest_sender(sender: str) -> str:
        """The REST sender for a test's sender name (REST senders have no "tg:"-like prefix)."""
        return sender.replace(":", "-")

    def conversation_id(self, sender: str, channel: str = "rest") -> str:
        """The tracker store's id of a test sender's conversation."""
        if channel == "rest":
            return f"rest:{self.rest_sender(sender)}"
        if channel == "webchat":
            return self.cookies[sender].rpartition(".")[0]
        return sender

    def request(
        self, channel: str, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        """One raw POST to a channel's webhook: status, JSON answer, response headers."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/{channel}/webhook", data=data, headers={"Content-Type": "application/json", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, json.load(reply), dict(reply.headers)
        except urllib.error.HTTPError as error:
            answer = error.read()
            try:
                return error.code, json.loads(answer), dict(error.headers)
            except ValueError:
                return error.code, answer.decode(errors="replace"), dict(error.headers)

    def post(
        self, sender: str, message: Any, channel: str = "rest", metadata: dict[str, Any] | None = None,
        token: str | None = BRIDGE_TOKEN,
    ) -> list[dict[str, Any]]:  # fmt: skip
        headers: dict[str, str] = {}
        body: dict[str, Any] = {"message": message}
        if channel == "rest":
            headers["Authorization"] = f"Bearer {REST_TOKEN}"
            body["sender"] = self.rest_sender(sender)
        elif channel == "webchat":
            if sender in self.cookies:
                headers["Cookie"] = f"tlas_web={self.cookies[sender]}"
        else:
            body.update(sender=sender, metadata=metadata or {})
            if token:
                headers["Authorization"] = f"Bearer {token}"
        status, answer, reply_headers = self.request(channel, body, headers)
        if status != 200:
            raise urllib.error.HTTPError(f"{self.url}/{channel}/webhook", status, str(answer), None, None)  # type: ignore[arg-type]
        issued = SimpleCookie(reply_headers.get("Set-Cookie", "")).get("tlas_web")
        if channel == "webchat" and issued is not None:
            self.cookies[sender] = issued.value
        return answer

    def say(self, sender: str, message: Any, channel: str = "rest") -> str:
        """All reply texts of one turn, joined by newlines."""
        return "\n".join(m.get("text", "") for m in self.post(sender, message, channel=channel))

    def process(self, name: str) -> Any:
        return dict(self.stack.processes)[name]

    def services_headers(self, component: str = "operator") -> dict[str, str]:
        """The credential of a services component, for tests acting as that component (an operator)."""
        assert self.stack.credentials is not None
        return {"Authorization": f"Bearer {self.stack.credentials.service_tokens[component]}"}
