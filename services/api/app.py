"""The services' HTTP server: verification, payment and eligibility APIs on one aiohttp app.

Each API is its own sub-application under its own prefix, so a deployment can put them on
separate hosts; the action server only ever sees their base URLs (core/settings.py). Every route
but the health checks and the description needs a component's credential (services/api/auth.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from typing import Any, Awaitable, Callable

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from core.settings import Settings, get_settings
from services.api.auth import COMPONENT, OPENAPI_PATH, TOKENS, credentials
from services.db import make_engine, session_factory
from services.identity import second_factor
from services.identity.checks import ApprovalPending, NoFirstFactor
from services.identity.helpers import NotAuthorised, ScopeRefused, TooManyHelpers
from services.identity.policy import Locked, NotVerified
from services.vault import vault_keys

SESSIONS = web.AppKey("sessions", sessionmaker)
SECOND_FACTOR = web.AppKey("second_factor", second_factor.SecondFactor)
LOG = logging.getLogger("services")
# A channel user or source as the channels write them ("tg:123", "web:…", "rest:…"): ASCII only,
# so a lone surrogate or a NUL is refused here and never reaches a database.
CHANNEL_USER = re.compile(r"[A-Za-z0-9_.:@-]{1,80}", re.ASCII)
# Components that act for a person in a chat: they read a person's data only through that
# person's live verified session. Staff components (operator, console) read without one, audited.
SESSION_BOUND = {"actions"}

__all__ = ["OPENAPI_PATH", "SESSIONS", "SECOND_FACTOR", "ApiError", "create_app"]


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


def channel_user_of(value: Any, name: str = "channel_user") -> str:
    """A well-formed channel user id, or a 400 answer."""
    if not isinstance(value, str) or not CHANNEL_USER.fullmatch(value):
        raise ApiError(400, f"bad_{name}", f"{name} must be 1-80 of A-Z a-z 0-9 _ . : @ -")
    return value


def source_of(value: Any) -> str | None:
    """The optional `source` (the integration behind a REST sender), well formed or a 400 answer."""
    return None if value in (None, "") else channel_user_of(value, "source")


def acting_user(request: web.Request, given: Any) -> str | None:
    """The channel user through whose session a chat component acts; None for staff components.

    A chat component must name the channel user, and the handler checks that this user's live
    verified session covers the beneficiary: a leaked actions credential alone reads nothing.
    """
    if request.get(COMPONENT) not in SESSION_BOUND:
        return None
    if not given:
        raise ApiError(400, "missing_fields", "Missing: channel_user")
    return channel_user_of(given)


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi(_request: web.Request) -> web.Response:
    return web.Response(text=OPENAPI_PATH.read_text(encoding="utf-8"), content_type="application/yaml")


def _route(request: web.Request) -> str:
    """The route template ("/sessions/{channel_user}"), never the path with its identifiers."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


@web.middleware
async def errors_as_json(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Locked as error:
        until = error.until.isoformat(timespec="seconds") + "Z"
        return web.json_response(
            {"error": "locked", "message": "Too many failed attempts", "locked_until": until}, status=423
        )
    except NotVerified:
        return web.json_response(
            {"error": "not_verified", "message": "No verified session of this channel user covers this"}, status=403
        )
    except NotAuthorised:
        return web.json_response(
            {"error": "not_authorised", "message": "No active authorisation covers this person"}, status=403
        )
    except ScopeRefused:
        return web.json_response(
            {"error": "scope_view_only", "message": "This authorisation allows reading only"}, status=403
        )
    except TooManyHelpers:
        return web.json_response(
            {"error": "too_many_helpers", "message": "This person has the most helpers allowed"}, status=409
        )
    except ApprovalPending as error:
        until = error.until.isoformat(timespec="seconds") + "Z"
        return web.json_response(
            {"error": "approval_pending", "message": "An approval for this person is pending", "pending_until": until},
            status=429,
        )
    except NoFirstFactor:
        return web.json_response(
            {"error": "no_first_factor", "message": "Match CCCD, name and birth date first"}, status=409
        )
    except second_factor.SecondFactorUnavailable:
        return web.json_response(
            {"error": "second_factor_unavailable", "message": "The second-factor provider did not answer"}, status=503
        )
    except Exception:  # noqa: BLE001 - a service answers 500 as JSON, never a stack trace
        LOG.exception("unhandled error on %s %s", request.method, _route(request))
        return web.json_response({"error": "internal", "message": "Internal error"}, status=500)


def check_ready(settings: Settings) -> None:
    """Refuse to start in production without what protects personal data (clear messages)."""
    vault_keys(settings)  # production without VAULT_KEYS raises; demo creates its key file
    if settings.mode == "production" and not settings.service_tokens:
        raise second_factor.ConfigurationError(
            "TLAS_MODE=production needs SERVICE_TOKENS (one credential per calling component)"
        )


def create_app(database_url: str, settings: Settings | None = None) -> web.Application:
    from services.api import eligibility, handoff, helpers, identity, notifications, payment, verification
    from services.retention import purge_periodically

    settings = settings or get_settings()
    check_ready(settings)
    provider = second_factor.from_settings(settings)
    sessions = session_factory(make_engine(database_url))
    root = web.Application(middlewares=[credentials, errors_as_json])
    root[SESSIONS] = sessions
    root[SECOND_FACTOR] = provider
    root[TOKENS] = dict(settings.service_tokens)
    root.router.add_get("/health", health)
    root.router.add_get("/openapi.yaml", openapi)
    for prefix, modules in (
        ("/verification/v1", (identity, verification, helpers)),
        ("/payment/v1", (payment, notifications)),
        ("/eligibility/v1", (eligibility,)),
        ("/handoff/v1", (handoff,)),
    ):
        sub = web.Application(middlewares=[errors_as_json])
        sub.router.add_get("/health", health)
        for module in modules:
            module.add_routes(sub)
        root.add_subapp(prefix, sub)
    root.cleanup_ctx.append(functools.partial(purge_periodically, factory=sessions))

    async def close(_app: web.Application) -> None:
        await provider.close()
        sessions.kw["bind"].dispose()  # no pooled connection outlives the app

    root.on_cleanup.append(close)
    return root
