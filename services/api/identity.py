"""Verification API, identity: consent, vault, CCCD match, second factor, lockout, sessions.

The person is verified in two steps. First, CCCD + full name + date of birth must match the
registry. Then an out-of-band factor: a Telegram contact they shared of themselves whose phone
is the registry phone, or a request they approve in VNeID (this service hosts a stand-in page).
The service keeps the state, keyed by channel user (`tg:123`, `web:…`): three failures lock the
user for 15 minutes, and a verified session expires after 30 minutes idle. Nobody is asked for an
OTP, a password or a VNeID passcode.
"""

from __future__ import annotations

import secrets
import string
from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.masking import mask
from core.phones import normalise_phone
from core.text import fold_words
from services.api.app import SESSIONS, ApiError, in_thread, read_json, require_fields
from services.api.verification import audit
from services.db import transaction
from services.models import (
    Beneficiary,
    Consent,
    PhoneProof,
    VaultItem,
    VerificationAttempt,
    VerifiedSession,
    VneidApproval,
)

MAX_FAILURES = 3
LOCK = timedelta(minutes=15)
SESSION_IDLE = timedelta(minutes=30)
FIRST_FACTOR_VALID = timedelta(minutes=10)
APPROVAL_VALID = timedelta(minutes=5)
VAULT_KINDS = {"cccd", "phone", "account"}


class Locked(Exception):
    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


def opaque_id(length: int = 24) -> str:
    """A random id of letters only: ids travel through the conversation, where runs of digits
    are masked as if they were identifiers (bot/tracker_store.py)."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))


def _now() -> datetime:
    return datetime.utcnow()


def locked_until(session: Session, channel_user: str) -> datetime | None:
    """When the user may try again, if the last three attempts within 15 minutes all failed."""
    recent = (
        session.execute(
            select(VerificationAttempt)
            .where(VerificationAttempt.channel_user == channel_user, VerificationAttempt.at > _now() - LOCK)
            .order_by(VerificationAttempt.at.desc(), VerificationAttempt.id.desc())
            .limit(MAX_FAILURES)
        )
        .scalars()
        .all()
    )
    if len(recent) == MAX_FAILURES and not any(attempt.ok for attempt in recent):
        return recent[0].at + LOCK
    return None


def _attempt(session: Session, channel_user: str, step: str, ok: bool, beneficiary_id: int | None = None) -> None:
    session.add(
        VerificationAttempt(channel_user=channel_user, step=step, ok=ok, beneficiary_id=beneficiary_id, at=_now())
    )
    session.flush()


def _guard(session: Session, channel_user: str) -> None:
    until = locked_until(session, channel_user)
    if until is not None:
        raise Locked(until)


def _first_factor(session: Session, channel_user: str) -> int | None:
    """The person whose CCCD, name and birth date this user matched in the last 10 minutes."""
    attempt = session.execute(
        select(VerificationAttempt)
        .where(
            VerificationAttempt.channel_user == channel_user,
            VerificationAttempt.step == "match",
            VerificationAttempt.ok.is_(True),
            VerificationAttempt.at > _now() - FIRST_FACTOR_VALID,
        )
        .order_by(VerificationAttempt.at.desc(), VerificationAttempt.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return attempt.beneficiary_id if attempt else None


def _open_session(session: Session, channel_user: str, beneficiary_id: int) -> None:
    existing = session.get(VerifiedSession, channel_user)
    if existing is None:
        session.add(
            VerifiedSession(
                channel_user=channel_user, beneficiary_id=beneficiary_id, verified_at=_now(), last_seen=_now()
            )
        )
    else:
        existing.beneficiary_id, existing.verified_at, existing.last_seen = beneficiary_id, _now(), _now()
    audit(session, channel_user, "verified", None, beneficiary_id=beneficiary_id)


def resolve(session: Session, channel_user: str, kind: str, value: str | None, token: str | None) -> str | None:
    """A value given directly, or the vault item behind a token of this user."""
    if token:
        item = session.get(VaultItem, token)
        return item.value if item is not None and item.channel_user == channel_user and item.kind == kind else None
    return value


# --- operations (blocking; run off the event loop) ---------------------------------------------------


def store_in_vault(factory: sessionmaker, channel_user: str, kind: str, value: str) -> dict[str, Any]:
    with transaction(factory) as session:
        token = f"{kind}:{opaque_id()}"
        session.add(VaultItem(token=token, channel_user=channel_user, kind=kind, value=value, created_at=_now()))
        return {"token": token, "last4": value[-4:]}


def record_consent(factory: sessionmaker, channel_user: str, purpose: str) -> dict[str, Any]:
    with transaction(factory) as session:
        session.add(Consent(channel_user=channel_user, purpose=purpose, given_at=_now()))
        audit(session, channel_user, "consent_given", None, purpose=purpose)
        return {"given": True}


def has_consent(factory: sessionmaker, channel_user: str, purpose: str) -> dict[str, Any]:
    with transaction(factory) as session:
        found = session.execute(
            select(Consent.id).where(Consent.channel_user == channel_user, Consent.purpose == purpose).limit(1)
        ).first()
        return {"given": found is not None}


def match_identity(factory: sessionmaker, channel_user: str, body: dict[str, Any], born: date) -> dict[str, Any]:
    with transaction(factory) as session:
        _guard(session, channel_user)
        cccd = resolve(session, channel_user, "cccd", body.get("cccd"), body.get("cccd_token"))
        person = None
        if cccd:
            person = session.execute(select(Beneficiary).where(Beneficiary.cccd == cccd)).scalar_one_or_none()
        matched = (
            person is not None
            and fold_words(person.full_name) == fold_words(str(body.get("full_name", "")))
            and person.date_of_birth == born
        )
        _attempt(session, channel_user, "match", matched, person.id if matched and person else None)
        audit(session, channel_user, "identity_match", mask(cccd), matched=matched)
        if not matched or person is None:
            return {
                "matched": False,
                "reason": "not_found" if person is None else "details_mismatch",
                "attempts_left": MAX_FAILURES - _failures_in_a_row(session, channel_user),
            }
        return {"matched": True, "has_phone": bool(person.phone), "phone_last4": (person.phone or "")[-4:]}


def _failures_in_a_row(session: Session, channel_user: str) -> int:
    recent = (
        session.execute(
            select(VerificationAttempt.ok)
            .where(VerificationAttempt.channel_user == channel_user, VerificationAttempt.at > _now() - LOCK)
            .order_by(VerificationAttempt.at.desc(), VerificationAttempt.id.desc())
            .limit(MAX_FAILURES)
        )
        .scalars()
        .all()
    )
    count = 0
    for ok in recent:
        if ok:
            break
        count += 1
    return count


def store_phone_proof(factory: sessionmaker, channel_user: str, phone: str) -> dict[str, Any]:
    with transaction(factory) as session:
        proof = PhoneProof(id=opaque_id(), channel_user=channel_user, phone=phone, created_at=_now())
        session.add(proof)
        audit(session, channel_user, "phone_proof_stored", mask(phone))
        return {"proof_id": proof.id, "phone_last4": phone[-4:]}


def check_phone(factory: sessionmaker, channel_user: str, proof_id: str) -> dict[str, Any]:
    """Second factor by shared contact: the proof's phone must be the matched person's phone."""
    with transaction(factory) as session:
        _guard(session, channel_user)
        beneficiary_id = _first_factor(session, channel_user)
        if beneficiary_id is None:
            raise ApiError(409, "no_first_factor", "Match CCCD, name and birth date first")
        proof = session.get(PhoneProof, proof_id)
        person = session.get(Beneficiary, beneficiary_id)
        ok = bool(
            proof and proof.channel_user == channel_user and person and person.phone and proof.phone == person.phone
        )
        _attempt(session, channel_user, "phone", ok, beneficiary_id if ok else None)
        if ok:
            _open_session(session, channel_user, beneficiary_id)
        return {"verified": ok, "attempts_left": MAX_FAILURES - _failures_in_a_row(session, channel_user)}


def create_approval(factory: sessionmaker, channel_user: str) -> dict[str, Any]:
    with transaction(factory) as session:
        _guard(session, channel_user)
        beneficiary_id = _first_factor(session, channel_user)
        if beneficiary_id is None:
            raise ApiError(409, "no_first_factor", "Match CCCD, name and birth date first")
        approval = VneidApproval(
            id=opaque_id(),
            channel_user=channel_user,
            beneficiary_id=beneficiary_id,
            code=f"{secrets.randbelow(10_000):04d}",
            status="pending",
            created_at=_now(),
        )
        session.add(approval)
        return {"approval_id": approval.id, "code": approval.code, "expires_in_s": int(APPROVAL_VALID.total_seconds())}


def approval_status(factory: sessionmaker, approval_id: str, channel_user: str | None = None) -> dict[str, Any] | None:
    with transaction(factory) as session:
        approval = session.get(VneidApproval, approval_id)
        if approval is None or (channel_user is not None and approval.channel_user != channel_user):
            return None
        if approval.status == "pending" and approval.created_at < _now() - APPROVAL_VALID:
            approval.status = "expired"
        return {"approval_id": approval.id, "code": approval.code, "status": approval.status}


def decide_approval(factory: sessionmaker, approval_id: str, approve: bool) -> dict[str, Any] | None:
    """What the person taps in VNeID (here: the stand-in page)."""
    with transaction(factory) as session:
        approval = session.get(VneidApproval, approval_id)
        if approval is None:
            return None
        if approval.status != "pending" or approval.created_at < _now() - APPROVAL_VALID:
            return {
                "approval_id": approval.id,
                "status": approval.status if approval.status != "pending" else "expired",
            }
        approval.status = "approved" if approve else "denied"
        _attempt(session, approval.channel_user, "vneid", approve, approval.beneficiary_id if approve else None)
        if approve:
            _open_session(session, approval.channel_user, approval.beneficiary_id)
        return {"approval_id": approval.id, "status": approval.status}


def current_session(factory: sessionmaker, channel_user: str) -> dict[str, Any] | None:
    """The verified person behind this channel user, if active; touching it keeps it alive."""
    with transaction(factory) as session:
        found = session.get(VerifiedSession, channel_user)
        if found is None:
            return None
        if found.last_seen < _now() - SESSION_IDLE:
            session.delete(found)
            return None
        found.last_seen = _now()
        person = session.get(Beneficiary, found.beneficiary_id)
        return {
            "beneficiary_id": person.id,
            "full_name": person.full_name,
            "commune": person.commune,
            "province": person.province,
            "group_code": person.group_code,
            "cccd_last4": person.cccd[-4:],
        }


def end_session(factory: sessionmaker, channel_user: str) -> None:
    with transaction(factory) as session:
        found = session.get(VerifiedSession, channel_user)
        if found is not None:
            session.delete(found)


# --- HTTP handlers --------------------------------------------------------------------------------------


def _locked_response(error: Locked) -> web.Response:
    return web.json_response(
        {
            "error": "locked",
            "message": "Too many failed attempts",
            "locked_until": error.until.isoformat(timespec="seconds") + "Z",
        },
        status=423,
    )


async def post_vault(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "kind", "value")
    value = "".join(str(body["value"]).split())
    if body["kind"] not in VAULT_KINDS or not value.isdigit() or len(value) > 20:
        raise ApiError(400, "bad_value", "kind must be cccd, phone or account and value digits")
    return web.json_response(
        await in_thread(store_in_vault, request.config_dict[SESSIONS], str(body["channel_user"]), body["kind"], value),
        status=201,
    )


async def post_consent(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "purpose")
    result = await in_thread(
        record_consent, request.config_dict[SESSIONS], str(body["channel_user"]), str(body["purpose"])
    )
    return web.json_response(result, status=201)


async def get_consent(request: web.Request) -> web.Response:
    channel_user, purpose = request.query.get("channel_user", ""), request.query.get("purpose", "identity")
    if not channel_user:
        raise ApiError(400, "missing_fields", "Missing: channel_user")
    return web.json_response(await in_thread(has_consent, request.config_dict[SESSIONS], channel_user, purpose))


async def post_identity_match(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "full_name", "date_of_birth")
    if not body.get("cccd") and not body.get("cccd_token"):
        raise ApiError(400, "missing_fields", "Missing: cccd or cccd_token")
    try:
        born = date.fromisoformat(str(body["date_of_birth"]))
    except ValueError as error:
        raise ApiError(400, "bad_date", "date_of_birth must be YYYY-MM-DD") from error
    try:
        result = await in_thread(match_identity, request.config_dict[SESSIONS], str(body["channel_user"]), body, born)
    except Locked as error:
        return _locked_response(error)
    return web.json_response(result)


async def post_phone_proof(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "phone")
    phone = normalise_phone(str(body["phone"]))
    if phone is None:
        raise ApiError(400, "bad_phone", "phone must be a Vietnamese mobile number")
    result = await in_thread(
        store_phone_proof, request.config_dict[SESSIONS], str(body["channel_user"]), phone.national
    )
    return web.json_response(result, status=201)


async def post_phone_check(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "proof_id")
    try:
        result = await in_thread(
            check_phone, request.config_dict[SESSIONS], str(body["channel_user"]), str(body["proof_id"])
        )
    except Locked as error:
        return _locked_response(error)
    return web.json_response(result)


async def post_approval(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user")
    try:
        result = await in_thread(create_approval, request.config_dict[SESSIONS], str(body["channel_user"]))
    except Locked as error:
        return _locked_response(error)
    return web.json_response(result, status=201)


async def get_approval(request: web.Request) -> web.Response:
    result = await in_thread(
        approval_status,
        request.config_dict[SESSIONS],
        request.match_info["approval_id"],
        request.query.get("channel_user"),
    )
    if result is None:
        raise ApiError(404, "approval_not_found", "No such approval")
    return web.json_response(result)


async def post_approval_decision(request: web.Request) -> web.Response:
    """The stand-in VNeID app's answer: JSON `{"decision": "approve"}` or the page's form post."""
    if request.content_type == "application/json":
        decision = (await read_json(request)).get("decision")
    else:
        decision = (await request.post()).get("decision")
    if decision not in ("approve", "deny"):
        raise ApiError(400, "bad_decision", "decision must be approve or deny")
    result = await in_thread(
        decide_approval, request.config_dict[SESSIONS], request.match_info["approval_id"], decision == "approve"
    )
    if result is None:
        raise ApiError(404, "approval_not_found", "No such approval")
    if request.content_type != "application/json":
        done = "Đã đồng ý. Bác quay lại trò chuyện với trợ lý nhé." if result["status"] == "approved" else "Đã từ chối."
        return web.Response(text=_page(f"<p>{escape(done)}</p>"), content_type="text/html")
    return web.json_response(result)


def _page(body: str) -> str:
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>VNeID (bản thử)</title>"
        "<style>body{font-family:sans-serif;font-size:20px;margin:24px}"
        "button{font-size:20px;padding:10px 18px;margin:6px}"
        ".code{font-size:40px;letter-spacing:8px}</style></head><body><h1>VNeID — bản thử</h1>"
        f"{body}</body></html>"
    )


async def get_approval_page(request: web.Request) -> web.Response:
    """Stand-in for the VNeID app screen where the person approves a request by its code."""
    result = await in_thread(approval_status, request.config_dict[SESSIONS], request.match_info["approval_id"])
    if result is None:
        raise ApiError(404, "approval_not_found", "No such approval")
    if result["status"] != "pending":
        return web.Response(text=_page(f"<p>Yêu cầu này đã {escape(result['status'])}.</p>"), content_type="text/html")
    form = (
        "<p>Trợ lý An sinh xin xác nhận danh tính của Bác.</p>"
        f"<p>Mã yêu cầu: <span class='code'>{escape(result['code'])}</span></p>"
        "<p>Chỉ bấm Đồng ý nếu mã này giống mã trợ lý đang hiển thị.</p>"
        "<form method='post' action='decision'><button name='decision' value='approve'>Đồng ý</button>"
        "<button name='decision' value='deny'>Từ chối</button></form>"
    )
    return web.Response(text=_page(form), content_type="text/html")


async def get_session(request: web.Request) -> web.Response:
    result = await in_thread(current_session, request.config_dict[SESSIONS], request.match_info["channel_user"])
    if result is None:
        raise ApiError(404, "no_session", "Not verified, or the session expired")
    return web.json_response(result)


async def delete_session(request: web.Request) -> web.Response:
    await in_thread(end_session, request.config_dict[SESSIONS], request.match_info["channel_user"])
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/vault", post_vault)
    app.router.add_post("/consents", post_consent)
    app.router.add_get("/consents", get_consent)
    app.router.add_post("/identity/match", post_identity_match)
    app.router.add_post("/phone-proofs", post_phone_proof)
    app.router.add_post("/identity/phone-check", post_phone_check)
    app.router.add_post("/identity/approvals", post_approval)
    app.router.add_get("/identity/approvals/{approval_id}", get_approval)
    app.router.add_get("/vneid/approvals/{approval_id}/", get_approval_page)
    app.router.add_post("/vneid/approvals/{approval_id}/decision", post_approval_decision)
    app.router.add_get("/sessions/{channel_user}", get_session)
    app.router.add_delete("/sessions/{channel_user}", delete_session)
