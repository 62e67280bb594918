"""The channels' shared state on both back ends: a SQLite file (restarts, several processes) and Redis."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import AsyncIterator

import pytest

from bot.state import RedisState, SharedState, SqliteState, StateUnavailable, open_state
from core.settings import get_settings

REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture(params=["sqlite", "redis"])
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SharedState]:
    store: SharedState = SqliteState(tmp_path / "state.db") if request.param == "sqlite" else RedisState(REDIS_URL)
    yield store
    await store.close()


def fresh(name: str) -> str:
    return f"test:{name}:{uuid.uuid4().hex}"


async def test_a_key_is_new_once_until_it_expires(state: SharedState) -> None:
    key = fresh("update")
    assert await state.first_time(key, 0.5) is True
    assert await state.first_time(key, 0.5) is False
    await asyncio.sleep(0.6)
    assert await state.first_time(key, 0.5) is True


async def test_counts_per_window(state: SharedState) -> None:
    key = fresh("rate")
    assert [await state.count(key, 60) for _ in range(3)] == [1, 2, 3]
    assert await state.count(fresh("rate"), 60) == 1  # another sender counts apart


async def test_values_with_a_lifetime(state: SharedState) -> None:
    key = fresh("buttons")
    assert await state.get(key) is None
    await state.put(key, '[{"title": "1. Đồng ý"}]', 0.5)
    assert await state.get(key) == '[{"title": "1. Đồng ý"}]'
    await asyncio.sleep(0.6)
    assert await state.get(key) is None


async def test_the_sqlite_file_is_shared_by_processes_and_survives_a_restart(tmp_path: Path) -> None:
    adapter, rasa = SqliteState(tmp_path / "state.db"), SqliteState(tmp_path / "state.db")
    assert await adapter.first_time("tg:update:1", 60) is True
    assert await rasa.first_time("tg:update:1", 60) is False
    await adapter.close()
    await rasa.close()
    restarted = SqliteState(tmp_path / "state.db")
    assert await restarted.first_time("tg:update:1", 60) is False
    await restarted.close()


async def test_redis_when_configured_else_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STATE_DB_PATH", str(tmp_path / "s.db"))
    monkeypatch.delenv("STATE_REDIS_URL", raising=False)
    store = open_state(get_settings())
    assert isinstance(store, SqliteState) and store.path == tmp_path / "s.db"
    await store.close()
    monkeypatch.setenv("STATE_REDIS_URL", REDIS_URL)
    store = open_state(get_settings())
    assert isinstance(store, RedisState)
    await store.close()


async def test_an_unreachable_store_says_so() -> None:
    store = RedisState("redis://127.0.0.1:1/0")
    with pytest.raises(StateUnavailable):
        await store.first_time(fresh("down"), 60)
    await store.close()


async def test_the_sqlite_file_is_synced_at_checkpoints_not_on_every_write(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "state.db")
    try:
        assert state._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert state._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        await state.close()
