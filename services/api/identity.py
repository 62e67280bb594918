"""Verification API, identity: HTTP handlers for consent, vault, CCCD match, second factor and sessions.

The person is verified in two steps (PRODUCT.md 3.2): CCCD + full name + date of birth against
the registry, then a factor the chatting person cannot fake alone — a Telegram contact of
themselves whose phone is the registry phone, or an approval pushed to their VNeID app
(services/identity/second_factor.py). Policy (lockout, lifetimes) is in services/identity/policy.py,
storage in store.py, the checks in checks.py; these handlers parse, call, answer. Nobody is asked
for an OTP, a password or a VNeID passcode.
"""

from __future__ import annotations

import logging
from datetime import date

from aiohttp import web

from core.identity import CCCD_PATTERN
from core.phones import normalise_phone
from services.api.app import (
    SECOND_FACTOR,
    SESSIONS,
    ApiError,
    channel_user_of,
    in_thread,
    read_json,
    require_fields,
    source_of,
)
from services.identity import checks
from services.identity.second_factor import SecondFactor, SecondFactorUnavailable
from services.identity.store import VAULT_KINDS

LOG = logging.getLogger("services.identity")


async def post_vault(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "kind", "value")
    value = "".join(str(body["value"]).split())
    if body["kind"] not in VAULT_KINDS or not value.isdigit() or not value.isascii() or len(value) > 20:
        raise ApiError(400, "bad_value", "kind must be cccd, phone or account and value digits")
    user = channel_user_of(body["channel_user"])
    result = await in_thread(checks.keep_in_vault, request.config_dict[SESSIONS], user, body["kind"], value)
    return web.json_response(result, status=201)


async def post_consent(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "purpose")
    purpose = str(body["purpose"])[:40]
    user = channel_user_of(body["channel_user"])
    return web.json_response(
        await in_thread(checks.record_consent, request.config_dict[SESSIONS], user, purpose), status=201
    )


async def get_consent(request: web.Request) -> web.Response:
    user = channel_user_of(request.query.get("channel_user", ""))
    purpose = request.query.get("purpose", "identity")[:40]
    return web.json_response(await in_thread(checks.has_consent, request.config_dict[SESSIONS], user, purpose))


async def post_identity_match(request: web.Request) -> web.Response:
    """One generic answer for every failure: no "not in the registry", no phone digits."""
    body = await read_json(request)
    require_fields(body, "channel_user", "full_name", "date_of_birth")
    cccd, token = body.get("cccd"), body.get("cccd_token")
    if not cccd and not token:
        raise ApiError(400, "missing_fields", "Missing: cccd or cccd_token")
    if cccd and not (isinstance(cccd, str) and CCCD_PATTERN.fullmatch(cccd) and cccd.isascii()):
        raise ApiError(400, "bad_cccd", "cccd must be 12 digits")
    try:
        born = date.fromisoformat(str(body["date_of_birth"]))
    except ValueError as error:
        raise ApiError(400, "bad_date", "date_of_birth must be YYYY-MM-DD") from error
    user, source = channel_user_of(body["channel_user"]), source_of(body.get("source"))
    result = await in_thread(
        checks.match_identity, request.config_dict[SESSIONS], user, cccd or None, str(token or "") or None,
        str(body["full_name"])[:120], born, source,
    )  # fmt: skip
    return web.json_response(result)


async def post_phone_proof(request: web.Request) -> web.Response:
    """A phone a channel proved belongs to the sender (a Telegram contact of themself)."""
    body = await read_json(request)
    require_fields(body, "channel_user", "phone")
    phone = normalise_phone(str(body["phone"])[:40])
    if phone is None:
        raise ApiError(400, "bad_phone", "phone must be a Vietnamese mobile number")
    user = channel_user_of(body["channel_user"])
    proof_id = await in_thread(checks.keep_phone_proof, request.config_dict[SESSIONS], user, phone.national)
    return web.json_response({"proof_id": proof_id, "phone_last4": phone.national[-4:]}, status=201)


async def post_phone_check(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "channel_user", "proof_id")
    user, source = channel_user_of(body["channel_user"]), source_of(body.get("source"))
    result = await in_thread(
        checks.check_phone, request.config_dict[SESSIONS], user, str(body["proof_id"])[:40], source
    )
    return web.json_response(result)


async def post_approval(request: web.Request) -> web.Response:
    """Push an approval request to the matched person's VNeID app (in demo mode: the stand-in)."""
    body = await read_json(request)
    require_fields(body, "channel_user")
    factory = request.config_dict[SESSIONS]
    provider = request.config_dict[SECOND_FACTOR]
    answer, pushed, new = await in_thread(checks.start_approval, factory, channel_user_of(body["channel_user"]))
    if not new:  # asked again: the same request, not a second push to the person's phone
        return web.json_response({**answer, "approval_url": provider.link(pushed.approval_id)}, status=201)
    try:
        link = await provider.request(pushed)
    except SecondFactorUnavailable:
        await in_thread(checks.drop_approval, factory, pushed.approval_id)
        raise
    return web.json_response({**answer, "approval_url": link}, status=201)


async def get_approval(request: web.Request) -> web.Response:
    """This user's approval; a pending one is also asked of the provider, in case its callback was lost."""
    factory, approval_id = request.config_dict[SESSIONS], request.match_info["approval_id"]
    user = channel_user_of(request.query.get("channel_user", ""))
    result = await in_thread(checks.approval_status, factory, approval_id, user)
    if result is None:
        raise ApiError(404, "approval_not_found", "No such approval")
    provider = request.config_dict[SECOND_FACTOR]
    if result["status"] == "pending":
        try:
            decided = await provider.status(approval_id)
        except SecondFactorUnavailable:
            decided = None  # still pending as far as we know
        if decided in ("approved", "denied"):
            result = await in_thread(checks.decide_approval, factory, approval_id, decided == "approved") or result
    elif result["status"] == "expired":
        await _withdraw(provider, [approval_id])
    return web.json_response(result)


async def post_approval_decision(request: web.Request) -> web.Response:
    """The provider's callback with the person's decision (component `vneid`)."""
    decision = (await read_json(request)).get("decision")
    if decision not in ("approve", "deny"):
        raise ApiError(400, "bad_decision", "decision must be approve or deny")
    factory, approval_id = request.config_dict[SESSIONS], request.match_info["approval_id"]
    result = await in_thread(checks.decide_approval, factory, approval_id, decision == "approve")
    if result is None:  # not an identity approval: a beneficiary deciding on a relative's request
        from services.api.helpers import decide

        result = await in_thread(decide, factory, approval_id, decision == "approve")
    if result is None:
        raise ApiError(404, "approval_not_found", "No such approval")
    return web.json_response(result)


async def get_session(request: web.Request) -> web.Response:
    """The verified person of this channel user. Reading never extends the session."""
    user = channel_user_of(request.match_info["channel_user"])
    result = await in_thread(checks.current_session, request.config_dict[SESSIONS], user)
    if result is None:
        raise ApiError(404, "no_session", "Not verified, or the session ended")
    return web.json_response(result)


async def delete_session(request: web.Request) -> web.Response:
    """Log out: the session ends, and approvals still pending are withdrawn from the provider."""
    user = channel_user_of(request.match_info["channel_user"])
    pending = await in_thread(checks.end_session, request.config_dict[SESSIONS], user)
    await _withdraw(request.config_dict[SECOND_FACTOR], pending)
    return web.Response(status=204)


async def _withdraw(provider: SecondFactor, approval_ids: list[str]) -> None:
    for approval_id in approval_ids:
        try:
            await provider.cancel(approval_id)
        except SecondFactorUnavailable:
            LOG.warning("could not withdraw an approval request; it expires by itself")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/vault", post_vault)
    app.router.add_post("/consents", post_consent)
    app.router.add_get("/consents", get_consent)
    app.router.add_post("/identity/match", post_identity_match)
    app.router.add_post("/phone-proofs", post_phone_proof)
    app.router.add_post("/identity/phone-check", post_phone_check)
    app.router.add_post("/identity/approvals", post_approval)
    app.router.add_get("/identity/approvals/{approval_id}", get_approval)
    app.router.add_post("/identity/approvals/{approval_id}/decision", post_approval_decision)
    app.router.add_get("/sessions/{channel_user}", get_session)
    app.router.add_delete("/sessions/{channel_user}", delete_session)
