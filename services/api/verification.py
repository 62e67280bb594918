"""Verification API, account links: requests, decisions, history (identity is in identity.py).

A link request is answered `pending` at once and decided in the background, as a bank's reply
would arrive: the holder name is compared with the registry name (case- and diacritics-
insensitive), the account's status and the identity number it was opened with are checked.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.masking import mask
from core.settings import get_settings
from core.text import fold_words
from core.values import WALLETS, providers
from services.api.app import COMPONENT, SESSIONS, ApiError, acting_user, in_thread, read_json, require_fields
from services.audit import audit
from services.db import transaction
from services.identity import store
from services.identity.helpers import use_access
from services.identity.policy import now
from services.models import Beneficiary, LinkRequest, ProviderAccount
from services.vault import current_vault

REASON_CODES = (
    "vneid_not_level2",
    "account_not_found",
    "account_closed",
    "account_locked",
    "old_id_number",
    "name_mismatch",
    "phone_not_owner",
)


def link_view(link: LinkRequest) -> dict[str, Any]:
    number = current_vault().open(link.account_number)
    return {
        "id": link.id,
        "beneficiary_id": link.beneficiary_id,
        "provider": link.provider,
        "account_last4": number[-4:],
        "account_masked": mask(number),
        "status": link.status,
        "reason_code": link.reason_code,
        "created_at": link.created_at.isoformat(timespec="seconds"),
        "decided_at": link.decided_at.isoformat(timespec="seconds") if link.decided_at else None,
    }


def decide(person: Beneficiary, account: ProviderAccount | None, provider: str) -> str | None:
    """The refusal reason for linking `account` to `person`, or None when it can be linked."""
    if person.vneid_level < 2:
        return "vneid_not_level2"
    if account is None:
        return "account_not_found"
    if account.status == "closed":
        return "account_closed"
    if account.status == "locked":
        return "account_locked"
    if fold_words(account.holder_name) != fold_words(person.full_name):
        return "name_mismatch"
    if len(account.id_number) == 9:
        return "old_id_number"
    if account.id_number != person.cccd:
        return "phone_not_owner" if provider in WALLETS else "name_mismatch"
    return None


def _account_number(session: Session, body: dict[str, Any], channel_user: str | None) -> str:
    """The number typed, or the one behind a vault token of this channel user (kind account or phone)."""
    token = str(body.get("account_token") or "")
    if not token:
        number = str(body.get("account_number") or "")
    else:
        kind = token.partition(":")[0]
        found = store.from_vault(session, str(channel_user or body.get("channel_user") or ""), kind, token)
        if kind not in ("account", "phone") or found is None:
            raise ApiError(404, "token_not_found", "No such account token for this user")
        number = found
    if not (number.isdigit() and number.isascii() and 6 <= len(number) <= 20):
        raise ApiError(400, "bad_account_number", "account_number must be 6-20 digits")
    return number


def create_link(
    factory: sessionmaker, body: dict[str, Any], channel_user: str | None, actor: str
) -> tuple[dict[str, Any], bool]:
    """Record a link request; the same idempotency key returns the first request, not a new one."""
    with transaction(factory) as session:
        beneficiary_id = body["beneficiary_id"]
        if channel_user is not None:
            use_access(session, channel_user, beneficiary_id, now(), "link_requested")
        key = body.get("idempotency_key")
        if key:
            existing = session.execute(
                select(LinkRequest).where(LinkRequest.idempotency_key == key)
            ).scalar_one_or_none()
            if existing is not None and existing.beneficiary_id == beneficiary_id:
                return link_view(existing), False
            if existing is not None:
                raise ApiError(409, "idempotency_key_reused", "This idempotency key belongs to another request")
        if session.get(Beneficiary, beneficiary_id) is None:
            raise ApiError(404, "beneficiary_not_found", "No such beneficiary")
        number = _account_number(session, body, channel_user)
        link = LinkRequest(
            beneficiary_id=beneficiary_id,
            provider=body["provider"],
            account_number=current_vault().seal(number),
            status="pending",
            idempotency_key=key,
            created_at=datetime.utcnow(),
        )
        session.add(link)
        session.flush()
        audit(session, actor, "link_requested", number, link_id=link.id)
        return link_view(link), True


def decide_link(factory: sessionmaker, link_id: int) -> None:
    with transaction(factory) as session:
        link = session.get(LinkRequest, link_id)
        if link is None or link.status != "pending":
            return
        number = current_vault().open(link.account_number)
        account = session.execute(
            select(ProviderAccount).where(
                ProviderAccount.provider == link.provider,
                ProviderAccount.account_number == number,
            )
        ).scalar_one_or_none()
        reason = decide(link.beneficiary, account, link.provider)
        link.status = "refused" if reason else "verified"
        link.reason_code = reason
        link.decided_at = datetime.utcnow()
        if not reason:
            # One receiving account at a time: the new one replaces any earlier verified link.
            for other in link.beneficiary.link_requests:
                if other.id != link.id and other.status == "verified":
                    other.status = "replaced"
        audit(session, "verification", "link_decided", number, status=link.status)


def get_link(factory: sessionmaker, link_id: int, channel_user: str | None) -> dict[str, Any] | None:
    with transaction(factory) as session:
        link = session.get(LinkRequest, link_id)
        if link is not None and channel_user is not None:
            use_access(session, channel_user, link.beneficiary_id, now(), "links_read")
        return link_view(link) if link else None


def list_links(
    factory: sessionmaker, beneficiary_id: int, channel_user: str | None, actor: str
) -> list[dict[str, Any]]:
    """A person's link history, read through their session, or by staff (audited)."""
    with transaction(factory) as session:
        if channel_user is not None:
            use_access(session, channel_user, beneficiary_id, now(), "links_read")
        else:
            audit(session, actor, "links_read", None, beneficiary_id=beneficiary_id)
        rows = session.execute(
            select(LinkRequest)
            .where(LinkRequest.beneficiary_id == beneficiary_id)
            .order_by(LinkRequest.created_at.desc(), LinkRequest.id.desc())
        ).scalars()
        return [link_view(link) for link in rows]


async def post_link_request(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "beneficiary_id", "provider")
    if not isinstance(body["beneficiary_id"], int):
        raise ApiError(400, "bad_beneficiary_id", "beneficiary_id must be a number")
    if not body.get("account_number") and not body.get("account_token"):
        raise ApiError(400, "missing_fields", "Missing: account_number or account_token")
    if body["provider"] not in providers():
        raise ApiError(400, "unknown_provider", "Unknown bank or wallet code")
    if body.get("idempotency_key") is not None and len(str(body["idempotency_key"])) > 64:
        raise ApiError(400, "bad_idempotency_key", "idempotency_key has at most 64 characters")
    user = acting_user(request, body.get("channel_user"))
    view, created = await in_thread(create_link, request.config_dict[SESSIONS], body, user, request[COMPONENT])
    if created:
        delay = get_settings().link_decision_delay_s
        task = asyncio.create_task(_decide_later(request.config_dict[SESSIONS], view["id"], delay))
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)
    return web.json_response(view, status=202 if created else 200)


_PENDING: set[asyncio.Task] = set()  # keeps decision tasks alive until they finish


async def _decide_later(factory: sessionmaker, link_id: int, delay: float) -> None:
    await asyncio.sleep(delay)
    await in_thread(decide_link, factory, link_id)


async def get_link_request(request: web.Request) -> web.Response:
    user = acting_user(request, request.query.get("channel_user"))
    view = await in_thread(get_link, request.config_dict[SESSIONS], int(request.match_info["link_id"]), user)
    if view is None:
        raise ApiError(404, "link_not_found", "No such link request")
    return web.json_response(view)


async def get_beneficiary_links(request: web.Request) -> web.Response:
    user = acting_user(request, request.query.get("channel_user"))
    rows = await in_thread(
        list_links, request.config_dict[SESSIONS], int(request.match_info["beneficiary_id"]), user, request[COMPONENT]
    )
    return web.json_response({"link_requests": rows})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/link-requests", post_link_request)
    app.router.add_get(r"/link-requests/{link_id:\d+}", get_link_request)
    app.router.add_get(r"/beneficiaries/{beneficiary_id:\d+}/link-requests", get_beneficiary_links)
