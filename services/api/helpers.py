"""Verification API, family helpers (PRODUCT.md 3.7): ask to help, approve, choose whose data, revoke, audit.

A verified person (the helper, verified as themself) asks to help a beneficiary by the
beneficiary's CCCD, full name and birth date; a mismatch counts against that CCCD like an identity
check (three in a row lock it for 15 minutes). The request is pushed to the *beneficiary's* VNeID
app through the second-factor provider (the demo stand-in shows it on the beneficiary's "phone"
page, never in the helper's chat), and the beneficiary's decision comes back by the same callback
as identity approvals. Staff (operator, console) record paper authorisations, list and revoke.
Reads and acts through an authorisation are checked in services/identity/helpers.py.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.identity import CCCD_PATTERN
from core.settings import get_settings
from core.text import fold_words
from services.api.app import (
    COMPONENT,
    SECOND_FACTOR,
    SESSIONS,
    ApiError,
    acting_user,
    channel_user_of,
    in_thread,
    read_json,
    require_fields,
    source_of,
)
from services.audit import audit
from services.db import transaction
from services.identity import checks, helpers, store
from services.identity.policy import NotVerified, active_session, attempts_left, guard, now
from services.identity.second_factor import ApprovalRequest, SecondFactorUnavailable
from services.models import Beneficiary, HelperAuthorisation

LOG = logging.getLogger("services.helpers")
# What the beneficiary's VNeID shows: the helper is the beneficiary's ... (the inverse of `relation`).
HELPER_IS = {"mother": "con", "father": "con", "grandmother": "cháu", "grandfather": "cháu", "spouse": "vợ/chồng",
             "sibling": "anh/chị/em", "aunt_uncle": "cháu", "child": "bố/mẹ", "grandchild": "ông/bà",
             "other": "người thân"}  # fmt: skip
SCOPE_WORDS = {"view": "xem thông tin chi trả", "act": "xem thông tin chi trả và làm thủ tục (liên kết tài khoản)"}


def _session_person(session: Session, channel_user: str, at: datetime) -> Beneficiary:
    found = active_session(session, channel_user, at)
    if found is None:
        raise NotVerified(channel_user)
    return session.get(Beneficiary, found.beneficiary_id)


def _relation_and_scope(body: dict[str, Any]) -> tuple[str, str]:
    relation, scope = body.get("relation"), body.get("scope")
    if relation not in helpers.RELATIONS:
        raise ApiError(400, "bad_relation", f"relation must be one of {', '.join(helpers.RELATIONS)}")
    if scope not in helpers.SCOPES:
        raise ApiError(400, "bad_scope", "scope must be view or act")
    return relation, scope


def purpose_text(helper: Beneficiary, relation: str, scope: str) -> str:
    """What the beneficiary reads in VNeID before approving."""
    return (f"{helper.full_name} ({HELPER_IS.get(relation, 'người thân')} của Bác) xin được "
            f"{SCOPE_WORDS[scope]} của Bác trên Trợ lý An sinh.")  # fmt: skip


# --- transactions ---------------------------------------------------------------------------------------


def request_help(
    factory: sessionmaker, channel_user: str, body: dict[str, Any], source: str | None
) -> tuple[dict[str, Any], ApprovalRequest | None]:
    """Match the beneficiary's details, then a pending authorisation and the request to push to
    their VNeID (None when nothing new is to be pushed: already active, or already pending)."""
    at = now()
    relation, scope = _relation_and_scope(body)
    with transaction(factory) as session:
        helper = _session_person(session, channel_user, at)
        cccd = body.get("cccd") or store.from_vault(session, channel_user, "cccd", str(body.get("cccd_token") or ""))
        subject = store.cccd_subject(channel_user, cccd, source)
        guard(session, subject, at)
        found = select(Beneficiary).where(Beneficiary.cccd == cccd)
        person = session.execute(found).scalar_one_or_none() if cccd else None
        matched = (
            person is not None
            and fold_words(person.full_name) == fold_words(str(body["full_name"]))
            and person.date_of_birth == body["date_of_birth"]
        )
        audit(session, channel_user, "helper_match", cccd, matched=matched)
        if not matched or person is None:
            # Only failures are recorded: a success must not end a run of failures about this CCCD.
            store.record_attempt(session, subject, "helper", False, at)
            return {"matched": False, "attempts_left": attempts_left(session, subject, at)}, None
        if person.id == helper.id:
            raise ApiError(409, "self", "A person does not need an authorisation for themself")
        live = helpers.authorisations(session, at, helper_id=helper.id, beneficiary_id=person.id)
        for auth in reversed(live):
            if auth.state == "active" and scope in ("view", auth.scope):
                return {"matched": True, "authorisation": helpers.view(auth, at)}, None
            if auth.state == "pending":
                return {"matched": True, "authorisation": helpers.view(auth, at)}, None
        helpers.check_room(session, person.id, at, helper.id)
        auth = HelperAuthorisation(
            helper_id=helper.id, helper_channel_user=channel_user, beneficiary_id=person.id, relation=relation,
            scope=scope, state="pending", source="vneid", approval_id=store.opaque_id(),
            approval_code=f"{secrets.randbelow(10_000):04d}", created_at=at,
            expires_at=at + timedelta(days=get_settings().helper_grant_days),
        )  # fmt: skip
        session.add(auth)
        session.flush()
        audit(session, channel_user, "helper_requested", person.cccd, authorisation_id=auth.id, scope=scope)
        pushed = ApprovalRequest(
            auth.approval_id, auth.approval_code, at + helpers.approval_window(), person.cccd,
            purpose=purpose_text(helper, relation, scope), device=helpers.device_of(person.cccd),
        )  # fmt: skip
        return {"matched": True, "authorisation": helpers.view(auth, at)}, pushed


def drop_request(factory: sessionmaker, approval_id: str) -> None:
    """The provider never took the request: it cannot be approved."""
    with transaction(factory) as session:
        auth = session.execute(
            select(HelperAuthorisation).where(HelperAuthorisation.approval_id == approval_id)
        ).scalar_one_or_none()
        if auth is not None and auth.state == "pending":
            auth.state, auth.ended_at, auth.ended_by = "expired", now(), "provider_unavailable"


def decide(factory: sessionmaker, approval_id: str, approve: bool) -> dict[str, Any] | None:
    """The beneficiary's decision in VNeID; None when this approval is not a helper request."""
    at = now()
    with transaction(factory) as session:
        auth = session.execute(
            select(HelperAuthorisation).where(HelperAuthorisation.approval_id == approval_id)
        ).scalar_one_or_none()
        if auth is None:
            return None
        if helpers.refresh(auth, at) == "pending":
            if approve:
                try:
                    helpers.check_room(session, auth.beneficiary_id, at, auth.helper_id)
                    auth.state = "active"
                    auth.expires_at = at + timedelta(days=get_settings().helper_grant_days)
                except helpers.TooManyHelpers:
                    auth.state, auth.ended_by = "denied", "limit"
            else:
                auth.state, auth.ended_by = "denied", "beneficiary"
            auth.decided_at = at
            audit(session, "vneid", f"helper_{auth.state}", None, authorisation_id=auth.id)
        status = {"active": "approved", "pending": "pending", "denied": "denied"}.get(auth.state, auth.state)
        return {"approval_id": approval_id, "status": status}


def pending_approvals(factory: sessionmaker, channel_user: str) -> list[str]:
    """The approvals still pending of the session person's own requests (to ask the provider about)."""
    at = now()
    with transaction(factory) as session:
        found = active_session(session, channel_user, at)
        if found is None:
            return []
        live = helpers.authorisations(session, at, helper_id=found.beneficiary_id, states=("pending",))
        return [auth.approval_id for auth in live if auth.source == "vneid" and auth.approval_id]


def mine(factory: sessionmaker, channel_user: str) -> dict[str, Any]:
    """Whom the session's person helps, and who helps them (pending and active)."""
    at = now()
    with transaction(factory) as session:
        person = _session_person(session, channel_user, at)
        return {
            "helping": [helpers.view(a, at) for a in helpers.authorisations(session, at, helper_id=person.id)],
            "helped_by": [helpers.view(a, at) for a in helpers.authorisations(session, at, beneficiary_id=person.id)],
        }


def set_helping(factory: sessionmaker, channel_user: str, beneficiary_id: int | None) -> dict[str, Any]:
    """Whose data this session looks at from now on: a beneficiary it is authorised for, or (None) its own."""
    at = now()
    with transaction(factory) as session:
        found = active_session(session, channel_user, at)
        if found is None:
            raise NotVerified(channel_user)
        if beneficiary_id is None or beneficiary_id == found.beneficiary_id:
            found.helping_id = None
        elif helpers.active_for(session, found.beneficiary_id, beneficiary_id, at) is None:
            raise helpers.NotAuthorised(channel_user)
        else:
            found.helping_id = beneficiary_id
    return checks.current_session(factory, channel_user) or {}


def revoke(
    factory: sessionmaker, authorisation_id: int, channel_user: str | None, actor: str
) -> tuple[dict[str, Any], str | None]:
    """End an authorisation: by its beneficiary or its helper in chat, or by staff. Returns its view
    and the approval to withdraw from the provider if it was still pending."""
    at = now()
    with transaction(factory) as session:
        auth = session.get(HelperAuthorisation, authorisation_id)
        if auth is not None and channel_user is not None:
            person = _session_person(session, channel_user, at)
            if person.id not in (auth.beneficiary_id, auth.helper_id):
                auth = None  # someone else's: as if it did not exist
        if auth is None:
            raise ApiError(404, "authorisation_not_found", "No such authorisation")
        was_pending = helpers.refresh(auth, at) == "pending"
        ended = helpers.end(auth, at, channel_user or actor)
        if ended:
            audit(session, channel_user or actor, "helper_revoked", None, authorisation_id=auth.id)
        return helpers.view(auth, at), auth.approval_id if ended and was_pending else None


def access_log(factory: sessionmaker, channel_user: str) -> list[dict[str, Any]]:
    """ "Ai đã xem thông tin của tôi?": the session's own person's log only."""
    with transaction(factory) as session:
        person = _session_person(session, channel_user, now())
        return helpers.accesses(session, person.id)


def _person(session: Session, cccd: Any, field: str) -> Beneficiary:
    if not (isinstance(cccd, str) and CCCD_PATTERN.fullmatch(cccd) and cccd.isascii()):
        raise ApiError(400, f"bad_{field}", f"{field} must be 12 digits")
    person = session.execute(select(Beneficiary).where(Beneficiary.cccd == cccd)).scalar_one_or_none()
    if person is None:
        raise ApiError(404, "person_not_found", f"No person with this {field} in the registry")
    return person


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise ApiError(400, f"bad_{field}", f"{field} must be YYYY-MM-DD") from error


def record_paper(factory: sessionmaker, body: dict[str, Any], actor: str) -> dict[str, Any]:
    """A paper giấy ủy quyền an agent or commune officer checked: active at once, until its end date."""
    at = now()
    relation, scope = _relation_and_scope(body)
    signed, until = _date(body["document_date"], "document_date"), _date(body["expires_on"], "expires_on")
    if until <= at.date() or signed > at.date():
        raise ApiError(400, "bad_dates", "document_date must not be in the future, expires_on must be")
    with transaction(factory) as session:
        helper = _person(session, body["helper_cccd"], "helper_cccd")
        person = _person(session, body["beneficiary_cccd"], "beneficiary_cccd")
        if helper.id == person.id:
            raise ApiError(409, "self", "A person does not need an authorisation for themself")
        helpers.check_room(session, person.id, at, helper.id)
        for earlier in helpers.authorisations(session, at, helper_id=helper.id, beneficiary_id=person.id):
            helpers.end(earlier, at, "replaced_by_paper")  # the paper now says what this helper may do
        auth = HelperAuthorisation(
            helper_id=helper.id, beneficiary_id=person.id, relation=relation, scope=scope, state="active",
            source="paper", document_ref=str(body["document_ref"])[:60], document_date=signed,
            recorded_by=str(body["recorded_by"])[:80], created_at=at, decided_at=at,
            expires_at=datetime.combine(until, time.min),
        )  # fmt: skip
        session.add(auth)
        session.flush()
        audit(session, actor, "helper_paper_recorded", person.cccd, authorisation_id=auth.id,
              recorded_by=auth.recorded_by, scope=scope)  # fmt: skip
        return {**helpers.view(auth, at), "document_ref": auth.document_ref}


def staff_list(factory: sessionmaker, cccd: str, actor: str) -> list[dict[str, Any]]:
    """Every authorisation where this person helps or is helped, any state, with its uses (audited)."""
    at = now()
    states = ("pending", "active", "expired", "revoked", "denied")
    with transaction(factory) as session:
        person = _person(session, cccd, "cccd")
        found = [*helpers.authorisations(session, at, beneficiary_id=person.id, states=states),
                 *helpers.authorisations(session, at, helper_id=person.id, states=states)]  # fmt: skip
        audit(session, actor, "helpers_read", person.cccd)
        return [
            {**helpers.view(auth, at), "document_ref": auth.document_ref, "recorded_by": auth.recorded_by,
             "ended_by": auth.ended_by, "uses": helpers.count_uses(session, auth.id)}
            for auth in found
        ]  # fmt: skip


# --- handlers -------------------------------------------------------------------------------------------


async def post_request(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "full_name", "date_of_birth", "relation", "scope")
    cccd = body.get("cccd")
    if not cccd and not body.get("cccd_token"):
        raise ApiError(400, "missing_fields", "Missing: cccd or cccd_token")
    if cccd and not (isinstance(cccd, str) and CCCD_PATTERN.fullmatch(cccd) and cccd.isascii()):
        raise ApiError(400, "bad_cccd", "cccd must be 12 digits")
    body["date_of_birth"] = _date(body["date_of_birth"], "date_of_birth")
    body["full_name"] = str(body["full_name"])[:120]
    user, source = channel_user_of(body["channel_user"]), source_of(body.get("source"))
    factory, provider = request.config_dict[SESSIONS], request.config_dict[SECOND_FACTOR]
    answer, pushed = await in_thread(request_help, factory, user, body, source)
    if pushed is not None:
        try:
            await provider.request(pushed)
        except SecondFactorUnavailable:
            await in_thread(drop_request, factory, pushed.approval_id)
            raise
    return web.json_response(answer, status=201 if pushed is not None else 200)


async def get_mine(request: web.Request) -> web.Response:
    """Also asks the provider about requests still pending here, in case a decision's callback was lost."""
    user = channel_user_of(request.query.get("channel_user", ""))
    factory, provider = request.config_dict[SESSIONS], request.config_dict[SECOND_FACTOR]
    for approval_id in await in_thread(pending_approvals, factory, user):
        try:
            decided = await provider.status(approval_id)
        except SecondFactorUnavailable:
            break  # still pending as far as we know
        if decided in ("approved", "denied"):
            await in_thread(decide, factory, approval_id, decided == "approved")
    return web.json_response(await in_thread(mine, factory, user))


async def put_helping(request: web.Request) -> web.Response:
    body = await read_json(request)
    wanted = body.get("beneficiary_id")
    if wanted is not None and not isinstance(wanted, int):
        raise ApiError(400, "bad_beneficiary_id", "beneficiary_id must be a number or null")
    user = channel_user_of(request.match_info["channel_user"])
    return web.json_response(await in_thread(set_helping, request.config_dict[SESSIONS], user, wanted))


def staff_actor(request: web.Request, agent: Any) -> str:
    """Who a staff call is written down as: the component, and the staff member it names ("console:lan")."""
    named = str(agent or "").strip()[:60]
    return f"{request[COMPONENT]}:{named}" if named else str(request[COMPONENT])


async def post_revoke(request: web.Request) -> web.Response:
    body = await read_json(request)
    user = acting_user(request, body.get("channel_user"))
    view, withdraw = await in_thread(
        revoke, request.config_dict[SESSIONS], int(request.match_info["authorisation_id"]), user,
        staff_actor(request, body.get("agent")),
    )  # fmt: skip
    if withdraw:
        try:
            await request.config_dict[SECOND_FACTOR].cancel(withdraw)
        except SecondFactorUnavailable:
            LOG.warning("could not withdraw a helper request; it expires by itself")
    return web.json_response(view)


async def get_access_log(request: web.Request) -> web.Response:
    user = channel_user_of(request.query.get("channel_user", ""))
    return web.json_response({"accesses": await in_thread(access_log, request.config_dict[SESSIONS], user)})


async def post_paper(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "helper_cccd", "beneficiary_cccd", "relation", "scope", "document_ref", "document_date",
                   "expires_on", "recorded_by")  # fmt: skip
    view = await in_thread(record_paper, request.config_dict[SESSIONS], body, staff_actor(request, body.get("agent")))
    return web.json_response(view, status=201)


async def get_staff_list(request: web.Request) -> web.Response:
    actor = staff_actor(request, request.query.get("agent"))
    rows = await in_thread(staff_list, request.config_dict[SESSIONS], request.query.get("cccd", ""), actor)
    return web.json_response({"authorisations": rows})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/helpers/requests", post_request)
    app.router.add_get("/helpers/mine", get_mine)
    app.router.add_get("/helpers/access-log", get_access_log)
    app.router.add_put("/sessions/{channel_user}/helping", put_helping)
    app.router.add_post(r"/helpers/authorisations/{authorisation_id:\d+}/revoke", post_revoke)
    app.router.add_post("/helpers/authorisations", post_paper)
    app.router.add_get("/helpers/authorisations", get_staff_list)
