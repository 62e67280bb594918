"""`python -m services.vneid_standin [--port N]`: the VNeID stand-in, in demo mode only.

Needs `SERVICE_TOKEN` (the `vneid` component's credential, given by the runtime) to accept the
verification service's requests and to report decisions back to `VERIFICATION_URL`.
"""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from core.settings import get_settings
from services.logs import configure
from services.vneid_standin.app import create_app


def main() -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="Run the VNeID stand-in (demo mode only)")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.vneid_standin_port)
    args = parser.parse_args()
    configure("vneid-standin")
    if settings.mode != "demo":
        print("The VNeID stand-in runs only in demo mode (TLAS_MODE=demo): whoever has its link can approve.",
              file=sys.stderr)  # fmt: skip
        return 2
    if not settings.service_token:
        print("The VNeID stand-in needs SERVICE_TOKEN, the vneid component's credential.", file=sys.stderr)
        return 2
    web.run_app(create_app(settings), host=args.host, port=args.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
