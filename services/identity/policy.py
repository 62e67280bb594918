"""Identity policy: when verification is locked, and how long a first factor and a session last.

Failures are counted per person as well as per door: three failed checks in a row about one CCCD
lock that CCCD for every sender, three of one channel user lock that user, and a source (an
integration behind the REST channel) is locked after `SOURCE_MAX_FAILURES` failures within the
window, since many real people share it. A lock lasts 15 minutes from the last failure
(PRODUCT.md 3.2). A session ends after 30 minutes idle or 2 hours in all, whichever comes first;
reading it never extends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.settings import get_settings
from services.models import VerificationAttempt, VerifiedSession

MAX_FAILURES = 3  # PRODUCT.md 3.2: three failed attempts lock verification for 15 minutes
LOCK = timedelta(minutes=15)
FIRST_FACTOR_VALID = timedelta(minutes=10)  # between the match and the second factor
APPROVAL_VALID = timedelta(minutes=5)  # a VNeID approval request


class Locked(Exception):
    """Too many failures: the person, user or source may try again at `until` (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


class NotVerified(Exception):
    """The channel user has no live session that covers the beneficiary asked about."""


@dataclass(frozen=True)
class Subject:
    """What one attempt counts against: the channel user, the person and the caller's source."""

    channel_user: str
    cccd_keys: tuple[str, ...] = ()  # keyed hashes of the CCCD under every vault key (services/vault.py)
    source: str | None = None


def now() -> datetime:
    return datetime.utcnow()


def _in_a_row(session: Session, condition: ColumnElement, at: datetime) -> tuple[int, datetime | None]:
    """Failures in a row (newest first, within the lock window) and when the newest one happened.

    Only a completed verification ends a run: a successful match does not, or whoever knows the
    first factor could retry second factors (and push approvals to the person's phone) for ever.
    """
    recent = session.execute(
        select(VerificationAttempt.ok, VerificationAttempt.at)
        .where(
            condition,
            VerificationAttempt.at > at - LOCK,
            or_(VerificationAttempt.ok.is_(False), VerificationAttempt.step != "match"),
        )
        .order_by(VerificationAttempt.at.desc(), VerificationAttempt.id.desc())
        .limit(MAX_FAILURES)
    ).all()
    count = 0
    for ok, _when in recent:
        if ok:
            break
        count += 1
    return count, recent[0][1] if recent else None


def _source_failures(session: Session, source: str, at: datetime) -> tuple[int, datetime | None]:
    """Failures of a source within the window, successes or not in between (an attacker can
    succeed with their own details to reset a run)."""
    limit = get_settings().source_max_failures
    recent = (
        session.execute(
            select(VerificationAttempt.at)
            .where(
                VerificationAttempt.source == source,
                VerificationAttempt.ok.is_(False),
                VerificationAttempt.at > at - LOCK,
            )
            .order_by(VerificationAttempt.at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return len(recent), recent[0] if recent else None


def failures(session: Session, subject: Subject, at: datetime) -> list[tuple[int, int, datetime | None]]:
    """(failures, limit, newest failure) for each thing the subject is counted against."""
    counted = [(VerificationAttempt.channel_user == subject.channel_user, MAX_FAILURES)]
    if subject.cccd_keys:
        counted.append((VerificationAttempt.cccd_key.in_(subject.cccd_keys), MAX_FAILURES))
    found = [(*_in_a_row(session, condition, at), limit) for condition, limit in counted]
    if subject.source:
        found.append((*_source_failures(session, subject.source, at), get_settings().source_max_failures))
    return [(count, limit, newest) for count, newest, limit in found]


def locked_until(session: Session, subject: Subject, at: datetime) -> datetime | None:
    """When the latest lock on the subject ends, if any applies now."""
    ends = [newest + LOCK for count, limit, newest in failures(session, subject, at) if count >= limit and newest]
    return max(ends) if ends else None


def guard(session: Session, subject: Subject, at: datetime) -> None:
    until = locked_until(session, subject, at)
    if until is not None:
        raise Locked(until)


def attempts_left(session: Session, subject: Subject, at: datetime) -> int:
    """How many more failures before a lock (the smallest over user, person and source)."""
    return max(0, min(limit - count for count, limit, _newest in failures(session, subject, at)))


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls) -> Lifetimes:
        settings = get_settings()
        return cls(timedelta(minutes=settings.session_idle_min), timedelta(minutes=settings.session_lifetime_min))

    def expires_at(self, found: VerifiedSession) -> datetime:
        return min(found.last_seen + self.idle, found.verified_at + self.absolute)


def active_session(session: Session, channel_user: str, at: datetime) -> VerifiedSession | None:
    """The channel user's session if it has not ended; an ended one is deleted. Never extends it."""
    found = session.get(VerifiedSession, channel_user)
    if found is None:
        return None
    if Lifetimes.from_settings().expires_at(found) <= at:
        session.delete(found)
        return None
    return found


def use_session(session: Session, channel_user: str, beneficiary_id: int, at: datetime) -> VerifiedSession:
    """The live session through which this channel user reads or changes the beneficiary's data.

    This is the person's real use, so it restarts the idle clock (never past the absolute
    lifetime); raises NotVerified when there is no such session.
    """
    found = active_session(session, channel_user, at)
    if found is None or found.beneficiary_id != beneficiary_id:
        raise NotVerified(channel_user)
    found.last_seen = at
    return found
