"""`python -m actions.server`: the action server, reachable only by Rasa.

rasa-sdk 3.6.2's own entry point (`python -m rasa_sdk`) listens on 0.0.0.0 (SANIC_HOST) and has
no credential option, so a hand-made POST /webhook with any sender id ran any action as anyone.
This one builds the same app with rasa-sdk's public `create_app`, listens on TLAS_HOST (loopback
by default), and answers /webhook and /actions only with `Authorization: Bearer $ACTION_TOKEN`,
which Rasa sends from the `headers` of its action_endpoint (bot/runtime.py writes endpoints.yml
with `${ACTION_TOKEN}`, so the file holds no secret). /health stays open for the runtime.

rasa-sdk's error handler answers a failing action with the whole request body (the tracker:
conversation text and slots) and logs it; ours answers and logs the error's kind only.
"""

from __future__ import annotations

import hmac
import logging
import sys

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.settings import get_settings

LOG = logging.getLogger("actions.server")
OPEN_PATHS = {"/health"}
MAX_BODY_BYTES = 8 * 1024 * 1024  # a tracker of a long conversation is a few hundred KB


def build(token: str) -> Sanic:
    """The rasa-sdk app for our actions, closed to requests without `token`."""
    app = create_app("actions", cors_origins=None)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return response.json({"error": "unauthorised"}, status=401)

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        LOG.error("action request failed: %s", type(exception).__name__)
        status = getattr(exception, "status_code", 500)
        return response.json({"error": type(exception).__name__}, status=status if 400 <= status < 600 else 500)

    return app


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    utils.update_sanic_log_level()
    if not settings.action_token:
        sys.exit("ACTION_TOKEN is not set (make run generates one for Rasa and the action server)")
    LOG.info("action server on %s:%d", settings.host, settings.action_port)
    build(settings.action_token).run(
        settings.host, settings.action_port, workers=utils.number_of_sanic_workers(), access_log=False
    )


if __name__ == "__main__":
    main()
