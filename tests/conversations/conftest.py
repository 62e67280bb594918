"""The whole assistant started as `make run` starts it, on free ports with throw-away databases."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.model_cache import ensure_model
from bot.runtime import Stack
from core.settings import get_settings
from services.seed import PEOPLE, cccd_of
from tests.conftest import _postgres_database, free_port

BRIDGE_TOKEN = "test-bridge-token"


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
             "VNEID_STANDIN_PORT": free_port()}  # fmt: skip
    env = {
        **{name: str(port) for name, port in ports.items()},
        "DATABASE_URL": f"sqlite:///{var_dir / 'services.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{var_dir / 'tracker.db'}",
        "SERVICE_TIMEOUT_S": "1",
        "LINK_DECISION_DELAY_S": "0",
        "BRIDGE_TOKEN": BRIDGE_TOKEN,
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
    """Talks to the REST channel like an integration would."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.url = f"http://127.0.0.1:{stack.settings.rasa_port}/webhooks"

    def post(
        self, sender: str, message: Any, channel: str = "rest", metadata: dict[str, Any] | None = None,
        token: str | None = BRIDGE_TOKEN,
    ) -> list[dict[str, Any]]:  # fmt: skip
        body = json.dumps({"sender": sender, "message": message, "metadata": metadata or {}}).encode()
        headers = {"Content-Type": "application/json"}
        if channel == "bridge" and token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"{self.url}/{channel}/webhook", data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.load(reply)

    def say(self, sender: str, message: Any) -> str:
        """All reply texts of one turn, joined by newlines."""
        return "\n".join(m.get("text", "") for m in self.post(sender, message))

    def process(self, name: str) -> Any:
        return dict(self.stack.processes)[name]


@pytest.fixture(scope="session")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def postgres_chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    """The same assistant with services and tracker store on PostgreSQL and a Redis lock store."""
    for services_url in _postgres_database():
        for tracker_url in _postgres_database():
            with running_stack(
                tmp_path_factory.mktemp("pgstack"),
                DATABASE_URL=services_url,
                TRACKER_STORE_URL=tracker_url,
                LOCK_STORE_URL="redis://127.0.0.1:6379/3",
            ) as running:
                running.tracker_url = tracker_url  # type: ignore[attr-defined]
                yield running
