"""Who is calling: a bearer credential per calling component, and the routes each one may call.

Every component (core/settings.py COMPONENTS) has its own token; the services hold them all in
`SERVICE_TOKENS`, each other process only its own as `SERVICE_TOKEN`. The scope table is the
OpenAPI description itself: each operation lists its callers under `x-callers`, and operations
with `security: []` (health, the description) are open. Missing or unknown credential → 401,
a known one on a route not meant for it → 403. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from pathlib import Path
from typing import Awaitable, Callable

import yaml
from aiohttp import web

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
COMPONENT = "component"  # request key: the calling component, once authenticated
TOKENS = web.AppKey("service_tokens", dict)
OPEN = "open"


@lru_cache(maxsize=1)
def scope_table() -> dict[tuple[str, str], frozenset[str]]:
    """(METHOD, path template) → the components that may call it, or {"open"} for everyone."""
    described = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    table: dict[tuple[str, str], frozenset[str]] = {}
    for path, operations in described["paths"].items():
        for method, operation in operations.items():
            if operation.get("security") == []:
                table[(method.upper(), path)] = frozenset({OPEN})
            else:
                table[(method.upper(), path)] = frozenset(operation.get("x-callers", []))
    return table


def component_of(header: str, tokens: dict[str, str]) -> str | None:
    """The component whose token is in this Authorization header, compared in constant time."""
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return None
    found = None
    for component, token in tokens.items():  # every token is compared, so timing says nothing
        if hmac.compare_digest(given.strip().encode(), token.encode()):
            found = component
    return found


def _refuse(status: int, code: str, message: str) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="tlas-services"'} if status == 401 else None
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


@web.middleware
async def credentials(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else None
    allowed = scope_table().get((request.method, template or ""), frozenset())
    if OPEN in allowed:
        return await handler(request)
    component = component_of(request.headers.get("Authorization", ""), request.config_dict[TOKENS])
    if component is None:
        return _refuse(401, "unauthorized", "A service credential is required: Authorization: Bearer <token>")
    if template is None:  # no such route (or method): the caller is known, so say so
        return await handler(request)
    if component not in allowed:
        return _refuse(403, "forbidden", "This credential may not call this route")
    request[COMPONENT] = component
    return await handler(request)
