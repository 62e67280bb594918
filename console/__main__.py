"""`python -m console`: the agent console on TLAS_HOST:CONSOLE_PORT (started by bot.runtime).

In demo mode the demo accounts (README "Agents") are created at start; in production, staff
accounts come only from `python -m console.users add`.
"""

from __future__ import annotations

import logging

from aiohttp import web

from clients import close_sessions
from console.app import create_app
from console.users import UserStore
from core.settings import get_settings


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # URLs carry conversation ids only, still quiet
    store = UserStore()
    if settings.mode == "demo":
        store.seed_demo()
    app = create_app(settings, store)

    async def close_clients(_app: web.Application) -> None:
        await close_sessions()

    app.on_cleanup.append(close_clients)
    web.run_app(app, host=settings.host, port=settings.console_port, access_log=None, print=None)


if __name__ == "__main__":
    main()
