"""`python -m services`: serve the verification, payment and eligibility APIs.

Kept apart from services/api/app.py so that module is imported once, under its own name
(run as __main__ it would be loaded twice, with two copies of its app keys). Needs nothing
outside core/ and services/.
"""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from core.settings import get_settings
from services.api.app import create_app
from services.identity.second_factor import ConfigurationError
from services.logs import configure
from services.vault import VaultKeyMissing


def main() -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="Run the verification, payment and eligibility APIs")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.services_port)
    args = parser.parse_args()
    configure("services")
    try:
        app = create_app(settings.database_url, settings)
    except (ConfigurationError, VaultKeyMissing) as error:
        print(f"services not started: {error}", file=sys.stderr)
        return 2
    # No access log: paths and queries can carry identifiers; handlers log what is needed, masked.
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
