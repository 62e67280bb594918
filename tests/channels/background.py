"""An aiohttp app served on 127.0.0.1 from a background thread, so that sync tests and subprocesses
reach it over real HTTP; the fake Telegram and Zalo servers are built on it."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable

from aiohttp import web

from tests.conftest import free_port


class BackgroundServer:
    """Serves `self.app()` on a free port until the context ends."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.lock = threading.Lock()  # guards what tests read while the server writes
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def app(self) -> web.Application:
        raise NotImplementedError

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._runner = web.AppRunner(self.app(), access_log=None)
        self.loop.run_until_complete(self._runner.setup())
        self.loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self.loop.run_forever()

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        """Run `function` on the server's loop (for state that loop's waiters watch)."""
        self.loop.call_soon_threadsafe(function, *args)

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        assert self._ready.wait(60), "fake server did not start"
        return self

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        # Requests still waiting (a long poll, a delayed answer) end with the server.
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, every: float = 0.02) -> Any:
    """Poll `condition` until it returns something true; that value, or AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)
