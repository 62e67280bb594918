"""Database tables of the verification and payment services (SQLAlchemy 1.4).

The schema itself is created and changed only by the Alembic migrations in
`services/migrations`; these classes describe it for the code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def _now() -> datetime:
    return datetime.utcnow()


class Beneficiary(Base):
    """A person in the social-welfare registry (PRODUCT.md §5, beneficiaries.csv)."""

    __tablename__ = "beneficiary"

    id = Column(Integer, primary_key=True)
    cccd = Column(String(12), nullable=False, unique=True)
    full_name = Column(String(120), nullable=False)
    date_of_birth = Column(Date, nullable=False)
    gender = Column(String(1), nullable=False)
    phone = Column(String(15))
    province = Column(String(80), nullable=False)
    commune = Column(String(120), nullable=False)
    group_code = Column(String(16), nullable=False)
    household_type = Column(String(16), nullable=False)
    disability_level = Column(String(24), nullable=False)
    has_pension = Column(Boolean, nullable=False, default=False)
    vneid_level = Column(Integer, nullable=False, default=2)

    payments = relationship("Payment", back_populates="beneficiary")
    link_requests = relationship("LinkRequest", back_populates="beneficiary")


class ProviderAccount(Base):
    """An account as the bank or e-wallet knows it (bank_accounts.csv): used to verify links."""

    __tablename__ = "provider_account"
    __table_args__ = (UniqueConstraint("provider", "account_number"),)

    id = Column(Integer, primary_key=True)
    provider = Column(String(24), nullable=False)
    account_number = Column(String(20), nullable=False)
    holder_name = Column(String(120), nullable=False)
    id_number = Column(String(12), nullable=False)
    status = Column(String(8), nullable=False)


class LinkRequest(Base):
    """A request to receive payments on an account; pending, then verified or refused."""

    __tablename__ = "link_request"

    id = Column(Integer, primary_key=True)
    beneficiary_id = Column(Integer, ForeignKey("beneficiary.id"), nullable=False, index=True)
    provider = Column(String(24), nullable=False)
    account_number = Column(Text, nullable=False)  # sealed by services/vault.py
    status = Column(String(10), nullable=False, default="pending")
    reason_code = Column(String(32))
    idempotency_key = Column(String(64), unique=True)
    created_at = Column(DateTime, nullable=False, default=_now)
    decided_at = Column(DateTime)

    beneficiary = relationship("Beneficiary", back_populates="link_requests")


class Payment(Base):
    """One monthly payment of one program to one person (payments.csv)."""

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("beneficiary_id", "period", "program"),)

    id = Column(Integer, primary_key=True)
    beneficiary_id = Column(Integer, ForeignKey("beneficiary.id"), nullable=False, index=True)
    period = Column(String(7), nullable=False)
    program = Column(String(8), nullable=False)
    amount_vnd = Column(Integer, nullable=False)
    status = Column(String(20), nullable=False)
    status_date = Column(Date, nullable=False)
    channel = Column(String(16), nullable=False)

    beneficiary = relationship("Beneficiary", back_populates="payments")


class HelperAuthorisation(Base):
    """A verified relative's right to help a beneficiary (PRODUCT.md 3.7).

    Granted by the beneficiary in VNeID (`source` vneid: pending until approved) or recorded by
    staff from a paper giấy ủy quyền (`source` paper: document reference, date, who recorded it).
    `scope` view: read payments and links; act: also link an account and subscribe the helper's
    chat to the payment messages. State: pending, active, expired, revoked or denied.
    """

    __tablename__ = "helper_authorisation"

    id = Column(Integer, primary_key=True)
    helper_id = Column(Integer, ForeignKey("beneficiary.id"), nullable=False, index=True)
    helper_channel_user = Column(String(80))  # the chat that asked (None for paper)
    beneficiary_id = Column(Integer, ForeignKey("beneficiary.id"), nullable=False, index=True)
    relation = Column(String(16), nullable=False)  # the beneficiary is the helper's <relation>
    scope = Column(String(4), nullable=False)
    state = Column(String(8), nullable=False)
    source = Column(String(8), nullable=False)
    document_ref = Column(String(60))
    document_date = Column(Date)
    recorded_by = Column(String(80))
    approval_id = Column(String(32), unique=True)
    approval_code = Column(String(8))
    created_at = Column(DateTime, nullable=False, default=_now)
    decided_at = Column(DateTime)
    expires_at = Column(DateTime, nullable=False)
    ended_at = Column(DateTime)
    ended_by = Column(String(80))
    notify_channel_user = Column(String(80))  # the helper's chat that gets the payment messages

    helper = relationship("Beneficiary", foreign_keys=[helper_id])
    beneficiary = relationship("Beneficiary", foreign_keys=[beneficiary_id])


class HelperAccess(Base):
    """One read or act through an authorisation: what the beneficiary sees in "ai đã xem"."""

    __tablename__ = "helper_access"

    id = Column(Integer, primary_key=True)
    authorisation_id = Column(Integer, ForeignKey("helper_authorisation.id"), nullable=False, index=True)
    channel_user = Column(String(80), nullable=False)
    what = Column(String(40), nullable=False)
    at = Column(DateTime, nullable=False, default=_now)


class CommuneSchedule(Base):
    """When and where a commune pays each month: local data, never a hard-coded date."""

    __tablename__ = "commune_schedule"
    __table_args__ = (UniqueConstraint("province", "commune"),)

    id = Column(Integer, primary_key=True)
    province = Column(String(80), nullable=False)
    commune = Column(String(120), nullable=False)
    transfer_day = Column(Integer, nullable=False)
    cash_day = Column(Integer, nullable=False)
    cash_place = Column(String(200), nullable=False)


class PhoneProof(Base):
    """A phone number a channel vouched for (a Telegram contact the sender shared of themself).

    Rasa only ever sees the proof's id and the last 4 digits; the number stays here, encrypted.
    """

    __tablename__ = "phone_proof"

    id = Column(String(32), primary_key=True)
    channel_user = Column(String(80), nullable=False, index=True)
    phone = Column(Text, nullable=False)  # sealed by services/vault.py
    created_at = Column(DateTime, nullable=False, default=_now)


class Consent(Base):
    """Consent to process personal data, asked once before the first question that collects it."""

    __tablename__ = "consent"

    id = Column(Integer, primary_key=True)
    channel_user = Column(String(80), nullable=False, index=True)
    purpose = Column(String(40), nullable=False)
    given_at = Column(DateTime, nullable=False, default=_now)


class VaultItem(Base):
    """A full CCCD, phone or account number typed in chat; the conversation keeps only the token."""

    __tablename__ = "vault_item"

    token = Column(String(40), primary_key=True)
    channel_user = Column(String(80), nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    value = Column(Text, nullable=False)  # sealed by services/vault.py
    created_at = Column(DateTime, nullable=False, default=_now)


class VerificationAttempt(Base):
    """One identity check; three failures in a row of a channel user, a CCCD or a source lock it.

    `cccd_key` is a keyed hash of the CCCD the check was about (services/vault.py), never the CCCD.
    """

    __tablename__ = "verification_attempt"

    id = Column(Integer, primary_key=True)
    channel_user = Column(String(80), nullable=False, index=True)
    step = Column(String(16), nullable=False)  # match | phone | vneid
    ok = Column(Boolean, nullable=False)
    beneficiary_id = Column(Integer, ForeignKey("beneficiary.id"))
    at = Column(DateTime, nullable=False, default=_now)
    cccd_key = Column(String(64), index=True)
    source = Column(String(80), index=True)  # the integration behind a REST sender, when the caller names it
    used_at = Column(DateTime)  # a successful match opens one session at most, and none after a logout


class VneidApproval(Base):
    """A second-factor request pushed to the person's VNeID app (in demo mode, the stand-in page).

    Status: pending, then approved, denied, expired or cancelled (the person logged out).
    """

    __tablename__ = "vneid_approval"

    id = Column(String(32), primary_key=True)
    channel_user = Column(String(80), nullable=False, index=True)
    beneficiary_id = Column(Integer, ForeignKey("beneficiary.id"), nullable=False)
    code = Column(String(8), nullable=False)
    status = Column(String(10), nullable=False, default="pending")
    created_at = Column(DateTime, nullable=False, default=_now)


class VerifiedSession(Base):
    """A channel user verified as one beneficiary; it ends after 30 minutes idle or 2 hours in all."""

    __tablename__ = "verified_session"

    channel_user = Column(String(80), primary_key=True)
    beneficiary_id = Column(Integer, ForeignKey("beneficiary.id"), nullable=False)
    verified_at = Column(DateTime, nullable=False, default=_now)
    last_seen = Column(DateTime, nullable=False, default=_now)
    helping_id = Column(Integer)  # the beneficiary this helper is looking at now (None: themself)


class NotificationSubscription(Base):
    """A channel user who asked to be told when a payment is paid or fails (PRODUCT.md 3.6)."""

    __tablename__ = "notification_subscription"

    channel_user = Column(String(80), primary_key=True)
    beneficiary_id = Column(Integer, ForeignKey("beneficiary.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=_now)


class Notification(Base):
    """One message owed to one person for one payment status: written once, sent once."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("channel_user", "payment_id", "status"),)

    id = Column(Integer, primary_key=True)
    channel_user = Column(String(80), nullable=False)
    payment_id = Column(Integer, ForeignKey("payment.id"), nullable=False)
    status = Column(String(20), nullable=False)
    created_at = Column(DateTime, nullable=False, default=_now)
    sent_at = Column(DateTime)
    attempts = Column(Integer, nullable=False, default=0, server_default="0")  # failed sends so far
    next_attempt_at = Column(DateTime)  # not due before this, after a failed send
    gave_up_at = Column(DateTime)  # the channel refused it too often: never sent


class AuditLog(Base):
    """Who looked at or changed what; subjects are stored masked."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=_now)
    actor = Column(String(80), nullable=False)
    action = Column(String(40), nullable=False)
    subject = Column(String(40))
    detail = Column(Text)


class Handoff(Base):
    """A conversation handed to a person (PRODUCT.md 3.8): waiting, taken by an agent, or closed."""

    __tablename__ = "handoff"

    id = Column(Integer, primary_key=True)
    channel_user = Column(String(80), nullable=False, index=True)
    status = Column(String(10), nullable=False, default="waiting")  # waiting, active, closed
    reason = Column(String(20), nullable=False)  # asked, not_understood
    callback = Column(Boolean, nullable=False, default=False)  # outside office hours: call the person back
    summary = Column(Text, nullable=False, default="{}")  # what the bot knew, JSON, identifiers masked
    external_id = Column(String(40))  # the conversation's id in an outside helpdesk (Chatwoot)
    created_at = Column(DateTime, nullable=False, default=_now)
    taken_by = Column(String(80))
    taken_at = Column(DateTime)
    closed_at = Column(DateTime)


class HandoffMessage(Base):
    """One message of a handed-over conversation: the person's, an agent's, or the bot's notice."""

    __tablename__ = "handoff_message"

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoff.id"), nullable=False, index=True)
    author = Column(String(10), nullable=False)  # person, agent, bot
    agent = Column(String(80))
    masked = Column(Text, nullable=False)  # what is shown by default: identifiers masked
    sealed = Column(Text, nullable=False)  # the text as written, encrypted (services/vault.py)
    created_at = Column(DateTime, nullable=False, default=_now)
    delivered_at = Column(DateTime)  # agent and bot messages: when the person's channel took it


__all__ = [
    "AuditLog",
    "Base",
    "Beneficiary",
    "CommuneSchedule",
    "Consent",
    "HelperAccess",
    "HelperAuthorisation",
    "Handoff",
    "HandoffMessage",
    "LinkRequest",
    "Notification",
    "NotificationSubscription",
    "Payment",
    "PhoneProof",
    "ProviderAccount",
    "VaultItem",
    "VerificationAttempt",
    "VerifiedSession",
    "VneidApproval",
]
