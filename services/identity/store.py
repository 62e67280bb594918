"""Identity store: vault, consent, attempts, phone proofs, approvals and sessions, inside one DB session.

Every full number is sealed by the vault before it is written (services/vault.py); attempts keep
a keyed hash of the CCCD, not the CCCD. Functions here take an open SQLAlchemy session and the
current time, so a caller decides the transaction and tests decide the clock.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.audit import audit
from services.identity.policy import FIRST_FACTOR_VALID, Subject
from services.models import (
    Beneficiary,
    Consent,
    PhoneProof,
    VaultItem,
    VerificationAttempt,
    VerifiedSession,
    VneidApproval,
)
from services.vault import current_vault

VAULT_KINDS = {"cccd", "phone", "account"}


def opaque_id(length: int = 24) -> str:
    """A random id of letters only: ids travel through the conversation, where runs of digits
    are masked as if they were identifiers (bot/tracker_store.py)."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))


def cccd_subject(channel_user: str, cccd: str | None, source: str | None = None) -> Subject:
    """What an attempt about this CCCD counts against (the CCCD only as keyed hashes)."""
    keys = tuple(current_vault().lookup_keys(cccd)) if cccd else ()
    return Subject(channel_user, keys, source)


# --- vault ----------------------------------------------------------------------------------------------


def put_in_vault(session: Session, channel_user: str, kind: str, value: str, at: datetime) -> str:
    token = f"{kind}:{opaque_id()}"
    session.add(
        VaultItem(token=token, channel_user=channel_user, kind=kind, value=current_vault().seal(value), created_at=at)
    )
    return token


def from_vault(session: Session, channel_user: str, kind: str, token: str) -> str | None:
    """The number behind a token, only for the channel user who stored it."""
    item = session.get(VaultItem, token)
    if item is None or item.channel_user != channel_user or item.kind != kind:
        return None
    return current_vault().open(item.value)


# --- consent --------------------------------------------------------------------------------------------


def add_consent(session: Session, channel_user: str, purpose: str, at: datetime) -> None:
    session.add(Consent(channel_user=channel_user, purpose=purpose, given_at=at))
    audit(session, channel_user, "consent_given", None, purpose=purpose)


def consent_given(session: Session, channel_user: str, purpose: str) -> bool:
    found = session.execute(
        select(Consent.id).where(Consent.channel_user == channel_user, Consent.purpose == purpose).limit(1)
    ).first()
    return found is not None


# --- attempts and sessions ------------------------------------------------------------------------------


def record_attempt(
    session: Session, subject: Subject, step: str, ok: bool, at: datetime, beneficiary_id: int | None = None
) -> None:
    session.add(
        VerificationAttempt(
            channel_user=subject.channel_user,
            cccd_key=subject.cccd_keys[0] if subject.cccd_keys else None,
            source=subject.source,
            step=step,
            ok=ok,
            beneficiary_id=beneficiary_id,
            at=at,
        )
    )
    session.flush()


def first_factor(session: Session, channel_user: str, at: datetime) -> VerificationAttempt | None:
    """This user's successful match of the last 10 minutes, not yet used for a session nor ended by a logout."""
    return session.execute(
        select(VerificationAttempt)
        .where(
            VerificationAttempt.channel_user == channel_user,
            VerificationAttempt.step == "match",
            VerificationAttempt.ok.is_(True),
            VerificationAttempt.used_at.is_(None),
            VerificationAttempt.at > at - FIRST_FACTOR_VALID,
        )
        .order_by(VerificationAttempt.at.desc(), VerificationAttempt.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def person_subject(session: Session, channel_user: str, beneficiary_id: int, source: str | None = None) -> Subject:
    """A second-factor attempt counts against the person the first factor matched."""
    person = session.get(Beneficiary, beneficiary_id)
    return cccd_subject(channel_user, person.cccd if person else None, source)


def open_session(session: Session, channel_user: str, beneficiary_id: int, at: datetime) -> None:
    """The channel user is now verified as this person; their first factors are used up."""
    _use_first_factors(session, channel_user, at)
    existing = session.get(VerifiedSession, channel_user)
    if existing is None:
        session.add(
            VerifiedSession(channel_user=channel_user, beneficiary_id=beneficiary_id, verified_at=at, last_seen=at)
        )
    else:
        existing.beneficiary_id, existing.verified_at, existing.last_seen = beneficiary_id, at, at
    audit(session, channel_user, "verified", None, beneficiary_id=beneficiary_id)


def _use_first_factors(session: Session, channel_user: str, at: datetime) -> None:
    session.execute(
        update(VerificationAttempt)
        .where(
            VerificationAttempt.channel_user == channel_user,
            VerificationAttempt.step == "match",
            VerificationAttempt.ok.is_(True),
            VerificationAttempt.used_at.is_(None),
        )
        .values(used_at=at)
    )


def end_session(session: Session, channel_user: str, at: datetime) -> list[str]:
    """Log out: the session, any unused first factor and pending approvals end; returns those approvals."""
    found = session.get(VerifiedSession, channel_user)
    if found is not None:
        session.delete(found)
    _use_first_factors(session, channel_user, at)
    pending = (
        session.execute(
            select(VneidApproval).where(VneidApproval.channel_user == channel_user, VneidApproval.status == "pending")
        )
        .scalars()
        .all()
    )
    for approval in pending:
        approval.status = "cancelled"
    audit(session, channel_user, "logged_out", None)
    return [approval.id for approval in pending]


# --- phone proofs ---------------------------------------------------------------------------------------


def put_phone_proof(session: Session, channel_user: str, phone: str, at: datetime) -> str:
    proof = PhoneProof(id=opaque_id(), channel_user=channel_user, phone=current_vault().seal(phone), created_at=at)
    session.add(proof)
    audit(session, channel_user, "phone_proof_stored", phone)
    return proof.id


def proof_phone(session: Session, channel_user: str, proof_id: str) -> str | None:
    """The phone a channel proved for this channel user (a proof of another user proves nothing)."""
    proof = session.get(PhoneProof, proof_id)
    if proof is None or proof.channel_user != channel_user:
        return None
    return current_vault().open(proof.phone)


# --- approvals ------------------------------------------------------------------------------------------


def add_approval(session: Session, factor: VerificationAttempt, at: datetime) -> VneidApproval:
    approval = VneidApproval(
        id=opaque_id(),
        channel_user=factor.channel_user,
        beneficiary_id=factor.beneficiary_id,
        code=f"{secrets.randbelow(10_000):04d}",
        status="pending",
        created_at=at,
    )
    session.add(approval)
    return approval
