"""`python -m services`: serve the verification, payment and eligibility APIs.

Kept apart from services/api/app.py so that module is imported once, under its own name
(run as __main__ it would be loaded twice, with two copies of its app keys).
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from core.settings import get_settings
from services.api.app import create_app


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="Run the verification, payment and eligibility APIs")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.services_port)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s services %(levelname)s %(message)s")
    # No access log: paths and queries can carry identifiers; handlers log what is needed, masked.
    web.run_app(create_app(settings.database_url), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
