"""The assistant started as `make run` starts it, on SQLite and on PostgreSQL with a Redis lock store,
attacked the way the README, curl and a second chat window allow (issue 10).

The stacks are the session's shared ones (tests/conftest.py `chat`, `postgres_chat`): starting Rasa
costs about a minute, so every test here takes `stack` and runs once per database. Tests that
stop or kill a process wait until the runtime has it serving again before they end.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from tests.channels.background import wait_until
from tests.conversations.conftest import Chat, approve_in_vneid, identity_answers


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest) -> Chat:
    return request.getfixturevalue("chat" if request.param == "sqlite" else "postgres_chat")


def verify(stack: Chat, sender: str, index: int, channel: str = "rest") -> str:
    """Seeded person `index` proves who they are on `sender` (CCCD, name, birth date, VNeID stand-in)."""
    *answers, birth_date = identity_answers(index)
    for text in answers:
        stack.say(sender, text, channel=channel)
    approve_in_vneid(stack.say(sender, birth_date, channel=channel))
    done = stack.say(sender, "xong rồi", channel=channel)
    assert "xác thực xong" in done, done
    return done


def tracker_text(stack: Chat) -> str:
    """Every stored conversation event, as stored."""
    url = stack.stack.settings.tracker_store_url
    return "\n".join(row for table in _tables(url, only="events") for row in table)


def services_text(stack: Chat, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every text column of every table of the services' database, by table."""
    url = stack.stack.settings.database_url
    return {name: "\n".join(rows) for name, rows in _tables(url, skip=skip, by_name=True).items()}


def _tables(url: str, only: str | None = None, skip: frozenset[str] = frozenset(), by_name: bool = False) -> Any:
    engine = sa.create_engine(url, future=True)
    try:
        names = [only] if only else [n for n in sa.inspect(engine).get_table_names() if n not in skip]
        found: dict[str, list[str]] = {}
        with engine.connect() as connection:
            for name in names:
                rows = connection.execute(sa.text(f'SELECT * FROM "{name}"')).all()
                found[name] = [" ".join(str(value) for value in row if value is not None) for row in rows]
    finally:
        engine.dispose()
    return found if by_name else found.values()


def logs_text(stack: Chat) -> dict[str, str]:
    """Every log file the runtime writes, by name."""
    folder = stack.stack.log_dir
    assert folder is not None
    return {path.name: path.read_text(encoding="utf-8", errors="replace") for path in Path(folder).glob("*.log")}


def pid(stack: Chat, name: str) -> int:
    return stack.process(name).pid


def serving(stack: Chat, name: str) -> bool:
    """The runtime's child `name` is running and answers its health check."""
    child = stack.stack.children[name]
    if child.process is None or child.process.poll() is not None or child.health_url is None:
        return False
    try:
        with urllib.request.urlopen(child.health_url, timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def stopped(stack: Chat, name: str) -> Iterator[None]:
    """Process `name` frozen (SIGSTOP): it accepts connections and never answers, like a hung server."""
    os.killpg(pid(stack, name), signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid(stack, name), signal.SIGCONT)


def kill_and_wait(stack: Chat, name: str, timeout: float = 240.0) -> int:
    """Kill process `name` as the kernel would (SIGKILL) and wait until the runtime has it serving again."""
    before = pid(stack, name)
    events = len(stack.stack.events)
    os.killpg(before, signal.SIGKILL)
    wait_until(lambda: pid(stack, name) != before and serving(stack, name), timeout=timeout, every=0.5)
    assert any(event.startswith(f"{name} stopped") for event in stack.stack.events[events:])
    return pid(stack, name)


@contextmanager
def events_table_renamed(stack: Chat) -> Iterator[None]:
    """The tracker store's table out of reach (as when the database fails), then back."""
    url = stack.stack.settings.tracker_store_url
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=10)
        run = connection.execute
    else:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", future=True)
        connection = engine.connect()

        def run(sql: str) -> Any:
            return connection.execute(sa.text(sql))

    run("ALTER TABLE events RENAME TO events_away")
    try:
        yield
    finally:
        run("ALTER TABLE events_away RENAME TO events")
        connection.close()


def post_json(url: str, body: Any, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text.decode(errors="replace")


def elapsed(function: Any, *args: Any) -> tuple[Any, float]:
    started = time.monotonic()
    return function(*args), time.monotonic() - started
