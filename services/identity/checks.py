"""The identity checks, each one transaction: match the registry, check a shared phone, approvals, sessions.

Answers tell a caller only what it needs: a failed match does not say whether the CCCD exists or
which detail was wrong, and a successful one names the second factors on offer, not a phone digit.
Blocking database work: the handlers run these off the event loop.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.text import fold_words
from services.audit import audit
from services.db import transaction
from services.identity import helpers, store
from services.identity.policy import (
    APPROVAL_VALID,
    Lifetimes,
    Subject,
    active_session,
    attempts_left,
    guard,
    now,
)
from services.identity.second_factor import ApprovalRequest
from services.models import Beneficiary, VneidApproval

# The channels that can prove a phone number of the sender, and the factor the bot offers there.
PHONE_FACTORS = {"tg": "telegram_contact"}


class NoFirstFactor(Exception):
    """A second factor was asked for before a successful match (or after it was used or ended)."""


class ApprovalPending(Exception):
    """Another channel user's approval for this person is still pending, until `until` (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


def record_consent(factory: sessionmaker, channel_user: str, purpose: str) -> dict[str, Any]:
    with transaction(factory) as session:
        store.add_consent(session, channel_user, purpose, now())
        return {"given": True}


def has_consent(factory: sessionmaker, channel_user: str, purpose: str) -> dict[str, Any]:
    with transaction(factory) as session:
        return {"given": store.consent_given(session, channel_user, purpose)}


def keep_in_vault(factory: sessionmaker, channel_user: str, kind: str, value: str) -> dict[str, Any]:
    with transaction(factory) as session:
        return {"token": store.put_in_vault(session, channel_user, kind, value, now()), "last4": value[-4:]}


def keep_phone_proof(factory: sessionmaker, channel_user: str, phone: str) -> str:
    with transaction(factory) as session:
        return store.put_phone_proof(session, channel_user, phone, now())


def second_factors(channel_user: str, person: Beneficiary) -> list[str]:
    """The ways this person can prove it is them on this channel, best first."""
    phone_factor = PHONE_FACTORS.get(channel_user.partition(":")[0])
    return ([phone_factor] if phone_factor and person.phone else []) + ["vneid"]


def match_identity(
    factory: sessionmaker, channel_user: str, cccd: str | None, cccd_token: str | None,
    full_name: str, born: date, source: str | None,
) -> dict[str, Any]:  # fmt: skip
    """First factor: CCCD (or its vault token), full name and birth date against the registry."""
    at = now()
    with transaction(factory) as session:
        if cccd_token:
            cccd = store.from_vault(session, channel_user, "cccd", cccd_token)
        subject = store.cccd_subject(channel_user, cccd, source)
        guard(session, subject, at)
        person = None
        if cccd:
            person = session.execute(select(Beneficiary).where(Beneficiary.cccd == cccd)).scalar_one_or_none()
        matched = (
            person is not None
            and fold_words(person.full_name) == fold_words(full_name)
            and person.date_of_birth == born
        )
        store.record_attempt(session, subject, "match", matched, at, person.id if matched and person else None)
        audit(session, channel_user, "identity_match", cccd, matched=matched)
        if not matched or person is None:
            return {"matched": False, "attempts_left": attempts_left(session, subject, at)}
        return {"matched": True, "second_factor": second_factors(channel_user, person)}


def check_phone(factory: sessionmaker, channel_user: str, proof_id: str, source: str | None) -> dict[str, Any]:
    """Second factor by shared contact: the proof's phone must be the matched person's phone."""
    at = now()
    with transaction(factory) as session:
        factor = store.first_factor(session, channel_user, at)
        subject = store.person_subject(session, channel_user, factor.beneficiary_id, source) if factor else None
        guard(session, subject or Subject(channel_user, source=source), at)
        if factor is None or subject is None:
            raise NoFirstFactor(channel_user)
        person = session.get(Beneficiary, factor.beneficiary_id)
        phone = store.proof_phone(session, channel_user, proof_id)
        ok = bool(phone and person.phone and phone == person.phone)
        store.record_attempt(session, subject, "phone", ok, at, factor.beneficiary_id if ok else None)
        if ok:
            store.open_session(session, channel_user, factor.beneficiary_id, at)
        return {"verified": ok, "attempts_left": attempts_left(session, subject, at)}


def start_approval(factory: sessionmaker, channel_user: str) -> tuple[dict[str, Any], ApprovalRequest, bool]:
    """A pending approval for the person this user matched, the request to push to their app, and
    whether it is new. One request per person at a time: asking again returns the same one, and
    nobody else can push another to the person's phone until it is decided or expires."""
    at = now()
    with transaction(factory) as session:
        factor = store.first_factor(session, channel_user, at)
        subject = store.person_subject(session, channel_user, factor.beneficiary_id) if factor else None
        guard(session, subject or Subject(channel_user), at)
        if factor is None:
            raise NoFirstFactor(channel_user)
        approval = (
            session.execute(
                select(VneidApproval).where(
                    VneidApproval.beneficiary_id == factor.beneficiary_id,
                    VneidApproval.status == "pending",
                    VneidApproval.created_at > at - APPROVAL_VALID,
                )
            )
            .scalars()
            .first()
        )
        if approval is not None and approval.channel_user != channel_user:
            raise ApprovalPending(approval.created_at + APPROVAL_VALID)
        new = approval is None
        approval = approval or store.add_approval(session, factor, at)
        person = session.get(Beneficiary, factor.beneficiary_id)
        expires = approval.created_at + APPROVAL_VALID
        answer = {
            "approval_id": approval.id,
            "code": approval.code,
            "expires_in_s": int((expires - at).total_seconds()),
        }
        return answer, ApprovalRequest(approval.id, approval.code, expires, person.cccd), new


def drop_approval(factory: sessionmaker, approval_id: str) -> None:
    """The provider never took it: it cannot be approved."""
    with transaction(factory) as session:
        approval = session.get(VneidApproval, approval_id)
        if approval is not None and approval.status == "pending":
            approval.status = "cancelled"


def approval_status(factory: sessionmaker, approval_id: str, channel_user: str) -> dict[str, Any] | None:
    """The state of this user's approval (pending ones expire after 5 minutes)."""
    with transaction(factory) as session:
        approval = session.get(VneidApproval, approval_id)
        if approval is None or approval.channel_user != channel_user:
            return None
        if approval.status == "pending" and approval.created_at <= now() - APPROVAL_VALID:
            approval.status = "expired"
        return {"approval_id": approval.id, "code": approval.code, "status": approval.status}


def decide_approval(factory: sessionmaker, approval_id: str, approve: bool) -> dict[str, Any] | None:
    """What the person decided in VNeID; a decision is final, and a late one changes nothing."""
    at = now()
    with transaction(factory) as session:
        approval = session.get(VneidApproval, approval_id)
        if approval is None:
            return None
        if approval.status == "pending" and approval.created_at <= at - APPROVAL_VALID:
            approval.status = "expired"
        if approval.status != "pending":
            return {"approval_id": approval.id, "status": approval.status}
        approval.status = "approved" if approve else "denied"
        subject = store.person_subject(session, approval.channel_user, approval.beneficiary_id)
        store.record_attempt(session, subject, "vneid", approve, at, approval.beneficiary_id if approve else None)
        if approve:  # a logout since the request would have cancelled it
            store.open_session(session, approval.channel_user, approval.beneficiary_id, at)
        return {"approval_id": approval.id, "status": approval.status}


def current_session(factory: sessionmaker, channel_user: str) -> dict[str, Any] | None:
    """The verified person behind this channel user, if the session has not ended. Never extends it."""
    with transaction(factory) as session:
        found = active_session(session, channel_user, now())
        if found is None:
            return None
        person = session.get(Beneficiary, found.beneficiary_id)
        return {
            "beneficiary_id": person.id,
            "full_name": person.full_name,
            "commune": person.commune,
            "province": person.province,
            "group_code": person.group_code,
            "cccd_last4": person.cccd[-4:],
            "gender": person.gender,
            "helping": helpers.helping(session, found, now()),
            "phone_last4": (person.phone or "")[-4:],  # a callback from an agent goes to the registry phone
            "expires_at": Lifetimes.from_settings().expires_at(found).isoformat(timespec="seconds") + "Z",
        }


def end_session(factory: sessionmaker, channel_user: str) -> list[str]:
    """Log out; returns the approvals that were still pending, for the provider to withdraw."""
    with transaction(factory) as session:
        return store.end_session(session, channel_user, now())
