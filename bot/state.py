"""State the channel processes share and keep across restarts: de-duplication keys, rate counters,
small values with a lifetime (button memory later).

Two implementations of one small interface: a SQLite file under var/ (the default: one machine,
several processes, survives restarts) and Redis (`STATE_REDIS_URL`: several Rasa servers and
adapters on several machines). Keys are plain strings; each caller prefixes its own ("tg:update:…").
A store that cannot be reached raises StateUnavailable; callers decide whether to go on without it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

from core.settings import Settings, get_settings

REDIS_PREFIX = "tlas:state:"
PURGE_EVERY = 500  # writes between two sweeps of expired rows in the SQLite file


class StateUnavailable(Exception):
    """The shared state could not be read or written."""


class SharedState(Protocol):
    async def first_time(self, key: str, ttl_s: float) -> bool:
        """True the first time `key` is seen within `ttl_s` seconds (remembered from then on)."""

    async def count(self, key: str, window_s: float) -> int:
        """Counts one more hit of `key` in the current window of `window_s` seconds; the hits so far."""

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        """Keep `value` under `key` for `ttl_s` seconds."""

    async def get(self, key: str) -> str | None:
        """The value kept under `key`, or None when absent or expired."""

    async def close(self) -> None:
        """Release connections."""


class SqliteState:
    """One SQLite file shared by the processes of one machine (WAL mode, short busy wait)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._writes = 0
        self._db = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # No fsync per write (WAL syncs at checkpoints): a write survives this process stopping, and
        # an operating-system crash can lose only the last rate counts and button memories. The
        # Rasa server writes two per message; synced, each was ~0.5 ms of a worker thread, more
        # while PostgreSQL syncs too.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT, expires REAL NOT NULL)")

    def _run(self, sql: str, args: tuple[object, ...]) -> sqlite3.Cursor:
        with self._lock:
            try:
                cursor = self._db.execute(sql, args)
                self._writes += sql.startswith("INSERT")
                if self._writes >= PURGE_EVERY:
                    self._writes = 0
                    self._db.execute("DELETE FROM state WHERE expires <= ?", (time.time(),))
                return cursor
            except sqlite3.Error as error:
                raise StateUnavailable(type(error).__name__) from error

    async def _call(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        return await asyncio.to_thread(lambda: self._run(sql, args).fetchall())

    async def first_time(self, key: str, ttl_s: float) -> bool:
        now = time.time()
        rows = await self._call(
            "INSERT INTO state (key, value, expires) VALUES (?, '1', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = '1', expires = excluded.expires WHERE state.expires <= ? "
            "RETURNING 1",
            key, now + ttl_s, now,
        )  # fmt: skip
        return bool(rows)

    async def count(self, key: str, window_s: float) -> int:
        now = time.time()
        window = int(now // window_s)
        rows = await self._call(
            "INSERT INTO state (key, value, expires) VALUES (?, '1', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(state.value AS INTEGER) + 1 RETURNING value",
            f"{key}#{window}", (window + 1) * window_s,
        )  # fmt: skip
        return int(rows[0][0])

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        await self._call(
            "INSERT INTO state (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            key, value, time.time() + ttl_s,
        )  # fmt: skip

    async def get(self, key: str) -> str | None:
        rows = await self._call("SELECT value FROM state WHERE key = ? AND expires > ?", key, time.time())
        return str(rows[0][0]) if rows else None

    async def close(self) -> None:
        with self._lock:
            self._db.close()


class RedisState:
    """Redis: SET NX with an expiry for first sightings, INCR per window for counters."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self._redis = redis.asyncio.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)

    async def _do(self, work):  # type: ignore[no-untyped-def]
        from redis.exceptions import RedisError

        try:
            return await work
        except (RedisError, OSError) as error:
            raise StateUnavailable(type(error).__name__) from error

    async def first_time(self, key: str, ttl_s: float) -> bool:
        return bool(await self._do(self._redis.set(REDIS_PREFIX + key, "1", nx=True, px=max(1, int(ttl_s * 1000)))))

    async def count(self, key: str, window_s: float) -> int:
        name = f"{REDIS_PREFIX}{key}#{int(time.time() // window_s)}"

        async def hit() -> int:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.pexpire(name, int(window_s * 1000) + 1000)
                hits, _ = await pipe.execute()
            return int(hits)

        return int(await self._do(hit()))

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        await self._do(self._redis.set(REDIS_PREFIX + key, value, px=max(1, int(ttl_s * 1000))))

    async def get(self, key: str) -> str | None:
        value = await self._do(self._redis.get(REDIS_PREFIX + key))
        return value.decode() if isinstance(value, bytes) else value

    async def close(self) -> None:
        await self._redis.close()


def open_state(settings: Settings | None = None) -> SharedState:
    """The shared state the settings name: Redis when STATE_REDIS_URL is set, else the SQLite file."""
    settings = settings or get_settings()
    if settings.state_redis_url:
        return RedisState(settings.state_redis_url)
    return SqliteState(settings.state_db_path)


# One store per event loop: Redis connections belong to the loop that opened them.
_SHARED: dict[int, SharedState] = {}


def shared_state() -> SharedState:
    """This process's store for the running event loop (opened on first use)."""
    loop = id(asyncio.get_running_loop())
    if loop not in _SHARED:
        _SHARED[loop] = open_state()
    return _SHARED[loop]
