"""Verification API, account links: requests, decisions, history (identity is in identity.py).

A link request is answered `pending` at once and decided in the background, as a bank's reply
would arrive: the holder name is compared with the registry name (case- and diacritics-
insensitive), the account's status and the identity number it was opened with are checked.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.masking import mask
from core.settings import get_settings
from core.text import fold_words
from core.values import WALLETS, providers
from services.api.app import SESSIONS, ApiError, in_thread, read_json, require_fields
from services.db import transaction
from services.models import AuditLog, Beneficiary, LinkRequest, ProviderAccount, VaultItem

REASON_CODES = (
    "vneid_not_level2",
    "account_not_found",
    "account_closed",
    "account_locked",
    "old_id_number",
    "name_mismatch",
    "phone_not_owner",
)


def audit(session: Session, actor: str, action: str, subject: str | None, **detail: Any) -> None:
    session.add(AuditLog(actor=actor, action=action, subject=subject, detail=json.dumps(detail)))


def link_view(link: LinkRequest) -> dict[str, Any]:
    return {
        "id": link.id,
        "beneficiary_id": link.beneficiary_id,
        "provider": link.provider,
        "account_last4": link.account_number[-4:],
        "account_masked": mask(link.account_number),
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


def create_link(factory: sessionmaker, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Record a link request; the same idempotency key returns the first request, not a new one."""
    with transaction(factory) as session:
        key = body.get("idempotency_key")
        if key:
            existing = session.execute(
                select(LinkRequest).where(LinkRequest.idempotency_key == key)
            ).scalar_one_or_none()
            if existing is not None:
                return link_view(existing), False
        if session.get(Beneficiary, body["beneficiary_id"]) is None:
            raise ApiError(404, "beneficiary_not_found", "No such beneficiary")
        number = str(body.get("account_number") or "")
        if body.get("account_token"):
            item = session.get(VaultItem, str(body["account_token"]))
            if item is None or item.channel_user != body.get("channel_user"):
                raise ApiError(404, "token_not_found", "No such account token for this user")
            number = item.value
        if not number.isdigit():
            raise ApiError(400, "bad_account_number", "account_number must be digits")
        link = LinkRequest(
            beneficiary_id=body["beneficiary_id"],
            provider=body["provider"],
            account_number=number,
            status="pending",
            idempotency_key=key,
            created_at=datetime.utcnow(),
        )
        session.add(link)
        session.flush()
        audit(session, "verification", "link_requested", mask(link.account_number), link_id=link.id)
        return link_view(link), True


def decide_link(factory: sessionmaker, link_id: int) -> None:
    with transaction(factory) as session:
        link = session.get(LinkRequest, link_id)
        if link is None or link.status != "pending":
            return
        account = session.execute(
            select(ProviderAccount).where(
                ProviderAccount.provider == link.provider,
                ProviderAccount.account_number == link.account_number,
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
        audit(session, "verification", "link_decided", mask(link.account_number), status=link.status)


def get_link(factory: sessionmaker, link_id: int) -> dict[str, Any] | None:
    with transaction(factory) as session:
        link = session.get(LinkRequest, link_id)
        return link_view(link) if link else None


def list_links(factory: sessionmaker, beneficiary_id: int) -> list[dict[str, Any]]:
    with transaction(factory) as session:
        rows = session.execute(
            select(LinkRequest)
            .where(LinkRequest.beneficiary_id == beneficiary_id)
            .order_by(LinkRequest.created_at.desc(), LinkRequest.id.desc())
        ).scalars()
        return [link_view(link) for link in rows]


async def post_link_request(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "beneficiary_id", "provider")
    if not body.get("account_number") and not body.get("account_token"):
        raise ApiError(400, "missing_fields", "Missing: account_number or account_token")
    if body["provider"] not in providers():
        raise ApiError(400, "unknown_provider", "Unknown bank or wallet code")
    view, created = await in_thread(create_link, request.config_dict[SESSIONS], body)
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
    view = await in_thread(get_link, request.config_dict[SESSIONS], int(request.match_info["link_id"]))
    if view is None:
        raise ApiError(404, "link_not_found", "No such link request")
    return web.json_response(view)


async def get_beneficiary_links(request: web.Request) -> web.Response:
    rows = await in_thread(list_links, request.config_dict[SESSIONS], int(request.match_info["beneficiary_id"]))
    return web.json_response({"link_requests": rows})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/link-requests", post_link_request)
    app.router.add_get(r"/link-requests/{link_id:\d+}", get_link_request)
    app.router.add_get(r"/beneficiaries/{beneficiary_id:\d+}/link-requests", get_beneficiary_links)
