"""Personal data kept only as long as it is needed, then deleted.

Numbers typed in chat (vault) and shared phones are needed for minutes: they go after
`VAULT_RETENTION_H` hours. Verification attempts and approvals, kept to lock out guessing and to
answer "who verified when", go after `ATTEMPT_RETENTION_D` days. Ended sessions go at once. The
services process purges every `PURGE_INTERVAL_S` seconds; `python -m services.retention` purges
once (for a cron job when the services run elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timedelta
from typing import AsyncIterator

from aiohttp import web
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import sessionmaker

from core.settings import get_settings
from services.db import make_engine, session_factory, transaction
from services.identity.policy import Lifetimes
from services.models import PhoneProof, VaultItem, VerificationAttempt, VerifiedSession, VneidApproval

LOG = logging.getLogger("services.retention")


def purge(factory: sessionmaker, now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention at `now` (UTC); returns how many rows each table lost."""
    settings = get_settings()
    now = now or datetime.utcnow()
    numbers_before = now - timedelta(hours=settings.vault_retention_h)
    checks_before = now - timedelta(days=settings.attempt_retention_d)
    lifetimes = Lifetimes.from_settings()
    with transaction(factory) as session:
        ended = or_(
            VerifiedSession.last_seen <= now - lifetimes.idle, VerifiedSession.verified_at <= now - lifetimes.absolute
        )
        ended_sessions = session.execute(select(VerifiedSession.channel_user).where(ended)).scalars().all()
        statements = {
            "vault_item": delete(VaultItem).where(VaultItem.created_at < numbers_before),
            "phone_proof": delete(PhoneProof).where(PhoneProof.created_at < numbers_before),
            "verification_attempt": delete(VerificationAttempt).where(VerificationAttempt.at < checks_before),
            "vneid_approval": delete(VneidApproval).where(VneidApproval.created_at < checks_before),
            "verified_session": delete(VerifiedSession).where(VerifiedSession.channel_user.in_(ended_sessions)),
        }
        return {table: session.execute(statement).rowcount for table, statement in statements.items()}


async def purge_periodically(app: web.Application, factory: sessionmaker) -> AsyncIterator[None]:
    """An aiohttp cleanup context: purge at start, then every PURGE_INTERVAL_S, until the app stops.

    Stopping waits for a purge under way (it runs in a thread, which a cancel cannot stop), so no
    database connection outlives the app. The loop creates no task of its own between rounds:
    aiohttp's shutdown waits for tasks started after start-up.
    """
    running: list[asyncio.Future] = []

    async def loop() -> None:
        interval = get_settings().purge_interval_s
        while True:
            running[:] = [asyncio.get_running_loop().run_in_executor(None, purge, factory)]
            try:
                counts = await asyncio.shield(running[0])
                if any(counts.values()):
                    LOG.info("retention purge: %s", ", ".join(f"{table} {count}" for table, count in counts.items()))
            except Exception:  # noqa: BLE001 - a failed purge is tried again next round
                LOG.exception("retention purge failed")
            await asyncio.sleep(interval)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    if running and not running[0].done():
        with suppress(Exception):
            await running[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Delete personal data past its retention period, once")
    parser.add_argument("--database-url", default=get_settings().database_url)
    args = parser.parse_args(argv)
    counts = purge(session_factory(make_engine(args.database_url)))
    for table, count in counts.items():
        print(f"{table}: {count} deleted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
