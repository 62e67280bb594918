"""Family helpers (PRODUCT.md 3.7): who may help whom, and every read or act through that right.

A helper is a verified person (the identity flow, as themself) whom a beneficiary authorised,
in VNeID or on a paper giấy ủy quyền recorded by staff. Every call of a chat component about a
beneficiary passes `use_access`: the person's own session, or an active authorisation of the
session's person with enough scope — checked again on every call, so a revocation or an expiry
takes effect on the next message — and each use through an authorisation is written down twice,
in the audit trail and in `helper_access`, which the beneficiary reads ("ai đã xem?").
Functions take an open SQLAlchemy session and the current time, like store.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.settings import get_settings
from services.audit import audit
from services.identity.policy import NotVerified, active_session
from services.models import Beneficiary, HelperAccess, HelperAuthorisation, VerifiedSession
from services.vault import current_vault

RELATIONS = ("mother", "father", "grandmother", "grandfather", "spouse", "sibling", "aunt_uncle", "child",
             "grandchild", "other")  # fmt: skip
SCOPES = ("view", "act")
LIVE = ("pending", "active")
ENDED = ("pending", "expired", "revoked", "denied")  # asked or once granted: "not authorised (any more)"
# What a use through an authorisation needs: reading needs view, changing needs act.
NEEDS = {"payments_read": "view", "links_read": "view", "link_requested": "act", "subscribed": "act"}


class NotAuthorised(Exception):
    """No active authorisation of the session's person covers this beneficiary (none, revoked, expired)."""


class ScopeRefused(Exception):
    """The authorisation is view only and the call would change something."""


class TooManyHelpers(Exception):
    """The beneficiary already has the most active helpers the setting allows."""


def approval_window() -> timedelta:
    return timedelta(hours=get_settings().helper_approval_h)


def device_of(cccd: str) -> str:
    """The id of the person's phone for the demo VNeID stand-in: a keyed hash, never the CCCD."""
    return current_vault().lookup_key(f"vneid-device:{cccd}")[:20]


def refresh(auth: HelperAuthorisation, at: datetime) -> str:
    """The state now: a pending request not approved in time and an active grant past its end expire."""
    if auth.state == "pending" and auth.source == "vneid" and auth.created_at + approval_window() <= at:
        auth.state, auth.ended_at, auth.ended_by = "expired", at, "expiry"
    elif auth.state == "active" and auth.expires_at <= at:
        auth.state, auth.ended_at, auth.ended_by = "expired", auth.expires_at, "expiry"
    return str(auth.state)


def authorisations(
    session: Session, at: datetime, *, helper_id: int | None = None, beneficiary_id: int | None = None,
    states: tuple[str, ...] = LIVE,
) -> list[HelperAuthorisation]:  # fmt: skip
    """Authorisations of a helper or of a beneficiary whose state (refreshed now) is one of `states`."""
    query = select(HelperAuthorisation).order_by(HelperAuthorisation.id)
    if helper_id is not None:
        query = query.where(HelperAuthorisation.helper_id == helper_id)
    if beneficiary_id is not None:
        query = query.where(HelperAuthorisation.beneficiary_id == beneficiary_id)
    found = session.execute(query).scalars().all()
    return [auth for auth in found if refresh(auth, at) in states]


def active_for(session: Session, helper_id: int, beneficiary_id: int, at: datetime) -> HelperAuthorisation | None:
    found = authorisations(session, at, helper_id=helper_id, beneficiary_id=beneficiary_id, states=("active",))
    return found[-1] if found else None


def check_room(session: Session, beneficiary_id: int, at: datetime, helper_id: int) -> None:
    """At most MAX_HELPERS_PER_BENEFICIARY other helpers active at once."""
    active = authorisations(session, at, beneficiary_id=beneficiary_id, states=("active",))
    others = {auth.helper_id for auth in active if auth.helper_id != helper_id}
    if len(others) >= get_settings().max_helpers_per_beneficiary:
        raise TooManyHelpers(beneficiary_id)


def record_use(session: Session, auth: HelperAuthorisation, channel_user: str, what: str, at: datetime) -> None:
    session.add(HelperAccess(authorisation_id=auth.id, channel_user=channel_user, what=what, at=at))
    audit(session, channel_user, f"helper_{what}", None, authorisation_id=auth.id, helper_id=auth.helper_id,
          beneficiary_id=auth.beneficiary_id)  # fmt: skip


def use_access(
    session: Session, channel_user: str, beneficiary_id: int, at: datetime, what: str = "payments_read"
) -> VerifiedSession:
    """The live session through which this channel user reads or changes the beneficiary's data:
    their own, or one whose person holds an active authorisation with the scope `what` needs.

    Restarts the idle clock like policy.use_session; raises NotVerified (no session, or never asked
    to help this person), NotAuthorised (pending, or ended: expired, revoked, denied) or ScopeRefused.
    """
    found = active_session(session, channel_user, at)
    if found is None:
        raise NotVerified(channel_user)
    if found.beneficiary_id != beneficiary_id:
        auth = active_for(session, found.beneficiary_id, beneficiary_id, at)
        if auth is None and not authorisations(
            session, at, helper_id=found.beneficiary_id, beneficiary_id=beneficiary_id, states=ENDED
        ):
            raise NotVerified(channel_user)  # never a helper of this person: as before there were helpers
        if auth is None:
            raise NotAuthorised(channel_user)
        if NEEDS.get(what, "act") == "act" and auth.scope != "act":
            raise ScopeRefused(channel_user)
        record_use(session, auth, channel_user, what, at)
    found.last_seen = at
    return found


def title(person: Beneficiary) -> str:
    """How a reply names the beneficiary to the helper: "Bà" or "Ông" before the full name."""
    return "Bà" if person.gender == "F" else "Ông"


def view(auth: HelperAuthorisation, at: datetime) -> dict[str, Any]:
    """An authorisation as the helper's or the beneficiary's chat may see it (no full number)."""
    person, helper = auth.beneficiary, auth.helper
    return {
        "id": auth.id,
        "beneficiary_id": person.id,
        "full_name": person.full_name,
        "title": title(person),
        "commune": person.commune,
        "province": person.province,
        "group_code": person.group_code,
        "cccd_last4": person.cccd[-4:],
        "helper_id": helper.id,
        "helper_name": helper.full_name,
        "relation": auth.relation,
        "scope": auth.scope,
        "state": refresh(auth, at),
        "source": auth.source,
        "code": auth.approval_code if auth.state == "pending" else None,
        "expires_at": auth.expires_at.isoformat(timespec="seconds") + "Z",
        "notify": auth.notify_channel_user is not None,
    }


def helping(session: Session, found: VerifiedSession, at: datetime) -> dict[str, Any] | None:
    """Whom this session is looking at now, if it still may; a lapsed choice is forgotten."""
    if found.helping_id is None:
        return None
    auth = active_for(session, found.beneficiary_id, found.helping_id, at)
    if auth is None:
        found.helping_id = None
        return None
    return view(auth, at)


def accesses(session: Session, beneficiary_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The latest reads and acts through this beneficiary's authorisations, newest first."""
    rows = session.execute(
        select(HelperAccess, HelperAuthorisation)
        .join(HelperAuthorisation, HelperAuthorisation.id == HelperAccess.authorisation_id)
        .where(HelperAuthorisation.beneficiary_id == beneficiary_id)
        .order_by(HelperAccess.at.desc(), HelperAccess.id.desc())
        .limit(limit)
    ).all()
    return [
        {"helper_name": auth.helper.full_name, "relation": auth.relation, "what": access.what,
         "at": access.at.isoformat(timespec="seconds") + "Z", "authorisation_id": auth.id}
        for access, auth in rows
    ]  # fmt: skip


def count_uses(session: Session, authorisation_id: int) -> int:
    return int(
        session.execute(
            select(func.count(HelperAccess.id)).where(HelperAccess.authorisation_id == authorisation_id)
        ).scalar_one()
    )


def end(auth: HelperAuthorisation, at: datetime, by: str) -> bool:
    """Revoke a pending or active authorisation; False when it had already ended."""
    if auth.state not in LIVE:
        return False
    auth.state, auth.ended_at, auth.ended_by = "revoked", at, by[:80]
    auth.notify_channel_user = None
    return True
