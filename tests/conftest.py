"""Shared fixtures: real databases (SQLite file and PostgreSQL server) and real service servers."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
import uuid
from datetime import date
from typing import Any, Iterator

import pytest
from aiohttp import web
from sqlalchemy import create_engine, text

from services.api.app import create_app
from services.db import make_engine, migrate, session_factory, transaction
from services.seed import seed

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    """A port nobody listens on, below the range the kernel hands to outgoing connections (32768-60999
    on Linux): a server the runtime starts again must find its port free, and any keep-alive
    connection of any process may hold a port of that range for minutes."""
    for _ in range(500):
        port = random.randint(20_000, 32_000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test run, dropped afterwards."""
    name = f"tlas_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'services.db'}"
        migrate(url)
        yield url
    else:
        for url in _postgres_database():
            migrate(url)
            yield url


@pytest.fixture
def seeded_url(database_url: str) -> str:
    with transaction(session_factory(make_engine(database_url))) as session:
        seed(session, date.today())
    return database_url


class ServerThread:
    """The services' aiohttp app served on 127.0.0.1 from a background thread (real HTTP)."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._serve, args=(database_url,), daemon=True)

    def _serve(self, database_url: str) -> None:
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(create_app(database_url), access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        assert self._ready.wait(10), "services did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def services(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerThread]:
    """Seeded services running on a free port; the action clients are pointed at them."""
    monkeypatch.setenv("LINK_DECISION_DELAY_S", "0")
    with ServerThread(seeded_url) as server:
        monkeypatch.setenv("VERIFICATION_URL", f"{server.url}/verification/v1")
        monkeypatch.setenv("PAYMENT_URL", f"{server.url}/payment/v1")
        monkeypatch.setenv("ELIGIBILITY_URL", f"{server.url}/eligibility/v1")
        yield server


# ---- the whole assistant, started as `make run` starts it (shared by tests/conversations and tests/security) ----


@pytest.fixture(scope="session")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The assistant on SQLite."""
    from tests.conversations.conftest import running_stack

    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def postgres_chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The same assistant with services and tracker store on PostgreSQL and a Redis lock store."""
    from tests.conversations.conftest import running_stack

    for services_url in _postgres_database():
        for tracker_url in _postgres_database():
            with running_stack(
                tmp_path_factory.mktemp("pgstack"),
                DATABASE_URL=services_url,
                TRACKER_STORE_URL=tracker_url,
                LOCK_STORE_URL="redis://127.0.0.1:6379/3",
            ) as running:
                running.tracker_url = tracker_url
                yield running
