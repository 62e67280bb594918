"""Shared fixtures: real databases (SQLite file and PostgreSQL server) and real service servers."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
import uuid
from dataclasses import replace
from datetime import date
from typing import Any, Callable, Iterator

import pytest
import requests
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from core.settings import COMPONENTS, get_settings
from services.api.app import create_app
from services.db import make_engine, migrate, session_factory, transaction
from services.seed import seed
from services.vneid_standin.app import create_app as create_standin

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

# One credential per calling component and one vault key for the whole test run; processes the
# tests start (the stack, as `make run` starts it) inherit them.
SERVICE_TOKENS = {component: f"{component}-test-credential-{uuid.uuid4().hex[:16]}" for component in COMPONENTS}
os.environ["SERVICE_TOKENS"] = ",".join(f"{component}={token}" for component, token in SERVICE_TOKENS.items())
os.environ.setdefault("VAULT_KEYS", Fernet.generate_key().decode())


def as_component(component: str) -> requests.Session:
    """An HTTP client that calls the services with one component's credential."""
    client = requests.Session()
    client.headers["Authorization"] = f"Bearer {SERVICE_TOKENS[component]}"
    return client


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


class AppThread:
    """An aiohttp app served on 127.0.0.1 from a background thread (real HTTP); the app is made
    when the thread starts, so it reads the settings of that moment.

    The listening socket is bound here, before anything is told the URL, so no other process can
    take the port in between; a failure while the app is made is raised in the test, not hidden
    behind a timeout."""

    def __init__(self, make_app: Callable[[], web.Application]) -> None:
        self._socket = _bound_socket()
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._serve, args=(make_app,), daemon=True)

    def _serve(self, make_app: Callable[[], web.Application]) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._runner = web.AppRunner(make_app(), access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.SockSite(self._runner, self._socket).start())
        except BaseException as failure:  # handed to the test thread, which raises it
            self._failure = failure
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    @property
    def app(self) -> web.Application:
        assert self._runner is not None
        return self._runner.app

    def __enter__(self) -> AppThread:
        self._thread.start()
        # Generous: on a loaded 2-core machine a PostgreSQL-backed app has taken more than 10 s to start.
        assert self._ready.wait(60), "the app did not start within 60 s"
        if self._failure is not None:
            raise RuntimeError("the app failed to start") from self._failure
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._socket.close()


def _bound_socket() -> socket.socket:
    """A listening-ready socket on a free port of 127.0.0.1, held until the app closes it."""
    for _ in range(50):
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", free_port()))
        except OSError:
            sock.close()
            continue
        sock.setblocking(False)
        return sock
    raise RuntimeError("no free port to bind")


class ServerThread(AppThread):
    """The services' app on its database; `standin` is the VNeID stand-in it pushes approvals to."""

    standin: AppThread | None = None

    def __init__(self, database_url: str) -> None:
        super().__init__(lambda: create_app(database_url))

    def client(self, component: str = "actions") -> requests.Session:
        return as_component(component)

    def standin_requests(self) -> dict:
        """The stand-in's pending requests, as the phone would show them."""
        from services.vneid_standin.app import REQUESTS

        assert self.standin is not None
        return self.standin.app[REQUESTS]


@pytest.fixture
def services(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerThread]:
    """Seeded services and the VNeID stand-in, each on a free port; the action clients are pointed
    at them with the actions credential."""
    monkeypatch.setenv("LINK_DECISION_DELAY_S", "0")
    monkeypatch.setenv("SERVICE_TOKEN", SERVICE_TOKENS["actions"])
    server = ServerThread(seeded_url)
    monkeypatch.setenv("VERIFICATION_URL", f"{server.url}/verification/v1")
    monkeypatch.setenv("PAYMENT_URL", f"{server.url}/payment/v1")
    monkeypatch.setenv("ELIGIBILITY_URL", f"{server.url}/eligibility/v1")
    monkeypatch.setenv("HANDOFF_URL", f"{server.url}/handoff/v1")
    # The stand-in reads the settings once the environment is complete, with the vneid credential as its own.
    standin = AppThread(lambda: create_standin(replace(get_settings(), service_token=SERVICE_TOKENS["vneid"])))
    monkeypatch.setenv("VNEID_STANDIN_URL", standin.url)
    with standin, server:
        server.standin = standin
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
