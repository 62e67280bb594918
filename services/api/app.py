"""The services' HTTP server: verification, payment and eligibility APIs on one aiohttp app.

Each API is its own sub-application under its own prefix, so a deployment can put them on
separate hosts; the action server only ever sees their base URLs (core/settings.py).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from services.db import make_engine, session_factory

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
SESSIONS = web.AppKey("sessions", sessionmaker)
LOG = logging.getLogger("services")


class ApiError(web.HTTPException):
    """An error answered as JSON `{"error": code, "message": text}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status_code = status
        super().__init__(
            text=web.json_response({"error": code, "message": message}).text,
            content_type="application/json",
        )


async def in_thread(func: Callable[..., Any], *args: Any) -> Any:
    """Run blocking database work off the event loop."""
    return await asyncio.to_thread(func, *args)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or a 400 answer."""
    try:
        body = await request.json()
    except ValueError as error:
        raise ApiError(400, "bad_json", "Body must be a JSON object") from error
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "Body must be a JSON object")
    return body


def require_fields(body: dict[str, Any], *names: str) -> None:
    """A 400 answer naming the fields a request body lacks."""
    missing = [name for name in names if not body.get(name)]
    if missing:
        raise ApiError(400, "missing_fields", f"Missing: {', '.join(missing)}")


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi(_request: web.Request) -> web.Response:
    return web.Response(text=OPENAPI_PATH.read_text(encoding="utf-8"), content_type="application/yaml")


@web.middleware
async def errors_as_json(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:  # noqa: BLE001 - a service answers 500 as JSON, never a stack trace
        LOG.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal", "message": "Internal error"}, status=500)


def create_app(database_url: str) -> web.Application:
    from services.api import eligibility, identity, notifications, payment, verification

    sessions = session_factory(make_engine(database_url))
    root = web.Application(middlewares=[errors_as_json])
    root[SESSIONS] = sessions
    root.router.add_get("/health", health)
    root.router.add_get("/openapi.yaml", openapi)
    for prefix, modules in (
        ("/verification/v1", (identity, verification)),
        ("/payment/v1", (payment, notifications)),
        ("/eligibility/v1", (eligibility,)),
    ):
        sub = web.Application(middlewares=[errors_as_json])
        sub.router.add_get("/health", health)
        for module in modules:
            module.add_routes(sub)
        root.add_subapp(prefix, sub)
    return root
