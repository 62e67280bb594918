"""Handoff API: the queue of conversations handed to agents, their messages, and staff lookups.

A conversation handed over (PRODUCT.md 3.8) is `waiting` until an agent takes it (`active`) and
`closed` when the agent gives it back to the bot, or the person leaves. While one is open the
channels pass the person's messages here instead of to Rasa; the agent's replies wait in an
outbox that each channel empties on its own (the web chat's page, the Telegram and Zalo adapters).

Every message is stored twice: masked (what the console shows) and sealed with the vault (what
the person or agent wrote). Reading the sealed text is a staff action that needs a reason and is
audited, as is every lookup of a beneficiary by CCCD.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.masking import mask, mask_numbers, scrub
from services.api.app import COMPONENT, SESSIONS, ApiError, channel_user_of, in_thread, read_json, require_fields
from services.api.payment import payment_view
from services.api.verification import link_view
from services.audit import audit
from services.db import transaction
from services.identity import store
from services.identity.policy import now
from services.models import Beneficiary, Handoff, HandoffMessage, LinkRequest, Payment
from services.vault import current_vault

OPEN = ("waiting", "active")
REASONS = ("asked", "not_understood")
MAX_TEXT = 2000
AGENT_NAME_CHARS = 80


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") + "Z" if at else None


def _text(body: dict[str, Any], name: str = "text") -> str:
    text = body.get(name)
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "missing_fields", f"Missing: {name}")
    if len(text) > MAX_TEXT:
        raise ApiError(400, "too_long", f"{name} has at most {MAX_TEXT} characters")
    return text.strip()


def _agent(body: dict[str, Any]) -> str:
    agent = body.get("agent")
    if not isinstance(agent, str) or not agent.strip() or len(agent) > AGENT_NAME_CHARS:
        raise ApiError(400, "missing_fields", "Missing: agent (the staff member's login)")
    return agent.strip()


def view(handoff: Handoff, at: datetime | None = None) -> dict[str, Any]:
    at = at or now()
    return {
        "id": handoff.id,
        "channel_user": handoff.channel_user,
        "channel": handoff.channel_user.partition(":")[0],
        "status": handoff.status,
        "reason": handoff.reason,
        "callback": handoff.callback,
        "summary": json.loads(handoff.summary or "{}"),
        "external_id": handoff.external_id,
        "created_at": _iso(handoff.created_at),
        "waiting_s": int(((handoff.taken_at or handoff.closed_at or at) - handoff.created_at).total_seconds()),
        "taken_by": handoff.taken_by,
        "closed_at": _iso(handoff.closed_at),
    }


def message_view(message: HandoffMessage, revealed: bool = False) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": message.author,
        "agent": message.agent,
        "text": current_vault().open(message.sealed) if revealed else message.masked,
        "at": _iso(message.created_at),
        "delivered": message.delivered_at is not None,
    }


def _open_for(session: Session, channel_user: str) -> Handoff | None:
    return (
        session.execute(
            select(Handoff).where(Handoff.channel_user == channel_user, Handoff.status.in_(OPEN)).order_by(Handoff.id)
        )
        .scalars()
        .first()
    )


def _get(session: Session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise ApiError(404, "handoff_not_found", "No such handed-over conversation")
    return handoff


def _add(session: Session, handoff: Handoff, author: str, text: str, agent: str | None = None) -> HandoffMessage:
    message = HandoffMessage(
        handoff_id=handoff.id, author=author, agent=agent, masked=mask_numbers(text), sealed=current_vault().seal(text)
    )
    session.add(message)
    session.flush()
    return message


def open_handoff(factory: sessionmaker, channel_user: str, reason: str, callback: bool, summary: Any) -> dict[str, Any]:
    """Queue a conversation (or return the one already open); `ahead` is how many wait before it."""
    with transaction(factory) as session:
        handoff = _open_for(session, channel_user)
        created = handoff is None
        if handoff is None:
            handoff = Handoff(
                channel_user=channel_user, reason=reason, callback=callback,
                summary=json.dumps(scrub(summary if isinstance(summary, dict) else {}), ensure_ascii=False),
            )  # fmt: skip
            session.add(handoff)
            session.flush()
        ahead = session.execute(
            select(func.count(Handoff.id)).where(Handoff.status == "waiting", Handoff.id < handoff.id)
        ).scalar_one()
        return {**view(handoff), "ahead": int(ahead), "created": created}


def queue(factory: sessionmaker, include_closed: bool) -> list[dict[str, Any]]:
    """Open conversations, the longest waiting first (closed ones of the last day too, if asked)."""
    with transaction(factory) as session:
        statuses = (*OPEN, "closed") if include_closed else OPEN
        rows = session.execute(select(Handoff).where(Handoff.status.in_(statuses)).order_by(Handoff.id)).scalars()
        at = now()
        result = []
        for handoff in rows:
            if handoff.status == "closed" and (at - handoff.closed_at).total_seconds() > 86_400:
                continue
            last = session.execute(
                select(HandoffMessage).where(HandoffMessage.handoff_id == handoff.id, HandoffMessage.author == "person")
                .order_by(HandoffMessage.id.desc())
            ).scalars().first()  # fmt: skip
            result.append({**view(handoff, at), "last_message": last.masked if last else None})
        return result


def conversation(factory: sessionmaker, handoff_id: int, reveal: tuple[str, str] | None = None) -> dict[str, Any]:
    """One conversation with its messages, masked; `reveal` = (agent, reason) opens them, audited."""
    with transaction(factory) as session:
        handoff = _get(session, handoff_id)
        if reveal is not None:
            audit(session, reveal[0], "handoff_revealed", None, handoff_id=handoff.id, reason=reveal[1])
        messages = session.execute(
            select(HandoffMessage).where(HandoffMessage.handoff_id == handoff.id).order_by(HandoffMessage.id)
        ).scalars()
        return {**view(handoff), "messages": [message_view(m, revealed=reveal is not None) for m in messages]}


def open_for(factory: sessionmaker, channel_user: str) -> dict[str, Any] | None:
    with transaction(factory) as session:
        handoff = _open_for(session, channel_user)
        return view(handoff) if handoff else None


def person_wrote(factory: sessionmaker, handoff_id: int, text: str) -> dict[str, Any]:
    with transaction(factory) as session:
        handoff = _get(session, handoff_id)
        if handoff.status not in OPEN:
            raise ApiError(409, "handoff_closed", "This conversation is back with the bot")
        return message_view(_add(session, handoff, "person", text))


def take(factory: sessionmaker, handoff_id: int, agent: str) -> dict[str, Any]:
    with transaction(factory) as session:
        handoff = _get(session, handoff_id)
        if handoff.status == "closed":
            raise ApiError(409, "handoff_closed", "This conversation is back with the bot")
        if handoff.status == "active" and handoff.taken_by != agent:
            raise ApiError(409, "taken", f"Taken by {handoff.taken_by}")
        if handoff.status == "waiting":
            handoff.status, handoff.taken_by, handoff.taken_at = "active", agent, now()
            audit(session, agent, "handoff_taken", None, handoff_id=handoff.id)
        return view(handoff)


def reply(factory: sessionmaker, handoff_id: int, agent: str, text: str) -> dict[str, Any]:
    """An agent's message, queued for the person's channel; a waiting conversation becomes the agent's."""
    with transaction(factory) as session:
        handoff = _get(session, handoff_id)
        if handoff.status == "closed":
            raise ApiError(409, "handoff_closed", "This conversation is back with the bot")
        if handoff.status == "waiting":
            handoff.status, handoff.taken_by, handoff.taken_at = "active", agent, now()
        return message_view(_add(session, handoff, "agent", text, agent))


def close(factory: sessionmaker, handoff_id: int, agent: str, notice: str | None, end_session: bool) -> dict[str, Any]:
    """Give the conversation back to the bot; the person is told so; optionally end their verified session."""
    with transaction(factory) as session:
        handoff = _get(session, handoff_id)
        if handoff.status != "closed":
            handoff.status, handoff.closed_at = "closed", now()
            if notice:
                _add(session, handoff, "bot", notice)
            audit(
                session, agent, "handoff_closed", handoff.channel_user, handoff_id=handoff.id, end_session=end_session
            )
        if end_session:
            store.end_session(session, handoff.channel_user, now())
        return view(handoff)


def set_external(factory: sessionmaker, handoff_id: int, external_id: str) -> dict[str, Any]:
    with transaction(factory) as session:
        handoff = _get(session, handoff_id)
        handoff.external_id = external_id
        return view(handoff)


def by_external(factory: sessionmaker, external_id: str) -> dict[str, Any] | None:
    with transaction(factory) as session:
        handoff = (
            session.execute(select(Handoff).where(Handoff.external_id == external_id).order_by(Handoff.id.desc()))
            .scalars()
            .first()
        )
        return view(handoff) if handoff else None


def outbox(factory: sessionmaker, channel: str, channel_user: str | None) -> list[dict[str, Any]]:
    """Agent and bot messages not yet delivered, oldest first, with their text as written."""
    with transaction(factory) as session:
        query = (
            select(HandoffMessage, Handoff.channel_user)
            .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
            .where(HandoffMessage.author.in_(("agent", "bot")), HandoffMessage.delivered_at.is_(None))
            .order_by(HandoffMessage.id)
            .limit(100)
        )
        if channel_user is not None:
            query = query.where(Handoff.channel_user == channel_user)
        else:
            query = query.where(Handoff.channel_user.like(f"{channel}:%"))
        return [
            {**message_view(message, revealed=True), "channel_user": user, "handoff_id": message.handoff_id}
            for message, user in session.execute(query)
        ]


def delivered(factory: sessionmaker, message_id: int) -> None:
    with transaction(factory) as session:
        message = session.get(HandoffMessage, message_id)
        if message is None:
            raise ApiError(404, "message_not_found", "No such message")
        message.delivered_at = message.delivered_at or now()


def lookup(factory: sessionmaker, cccd: str, agent: str, reason: str) -> dict[str, Any] | None:
    """A beneficiary found by CCCD for an agent's own call: registry facts, payments, links (audited)."""
    with transaction(factory) as session:
        audit(session, agent, "staff_lookup", cccd, reason=reason)
        person = session.execute(select(Beneficiary).where(Beneficiary.cccd == cccd)).scalar_one_or_none()
        if person is None:
            return None
        payments = session.execute(
            select(Payment).where(Payment.beneficiary_id == person.id).order_by(Payment.period.desc()).limit(12)
        ).scalars()
        links = session.execute(
            select(LinkRequest).where(LinkRequest.beneficiary_id == person.id).order_by(LinkRequest.id.desc())
        ).scalars()
        return {
            "beneficiary_id": person.id,
            "cccd_masked": mask(person.cccd),
            "full_name": person.full_name,
            "birth_year": person.date_of_birth.year,
            "phone_masked": mask(person.phone) if person.phone else None,
            "province": person.province,
            "commune": person.commune,
            "group_code": person.group_code,
            "payments": [payment_view(p) for p in payments],
            "link_requests": [link_view(link) for link in links],
        }


# ---- HTTP handlers -------------------------------------------------------------------------------------------


def _id(request: web.Request) -> int:
    return int(request.match_info["handoff_id"])


async def post_conversation(request: web.Request) -> web.Response:
    body = await read_json(request)
    user = channel_user_of(body.get("channel_user"))
    reason = body.get("reason", "asked")
    if reason not in REASONS:
        raise ApiError(400, "bad_reason", f"reason is one of {', '.join(REASONS)}")
    result = await in_thread(
        open_handoff, request.config_dict[SESSIONS], user, reason, bool(body.get("callback")), body.get("summary")
    )
    return web.json_response(result, status=201 if result["created"] else 200)


async def get_queue(request: web.Request) -> web.Response:
    rows = await in_thread(queue, request.config_dict[SESSIONS], request.query.get("closed") == "1")
    return web.json_response({"conversations": rows})


async def get_conversation(request: web.Request) -> web.Response:
    return web.json_response(await in_thread(conversation, request.config_dict[SESSIONS], _id(request)))


async def post_reveal(request: web.Request) -> web.Response:
    body = await read_json(request)
    agent, reason = _agent(body), _text(body, "reason")
    return web.json_response(
        await in_thread(conversation, request.config_dict[SESSIONS], _id(request), (agent, reason))
    )


async def get_sender(request: web.Request) -> web.Response:
    found = await in_thread(
        open_for, request.config_dict[SESSIONS], channel_user_of(request.match_info["channel_user"])
    )
    if found is None:
        raise ApiError(404, "no_open_handoff", "This conversation is with the bot")
    return web.json_response(found)


async def post_message(request: web.Request) -> web.Response:
    text = _text(await read_json(request))
    return web.json_response(
        await in_thread(person_wrote, request.config_dict[SESSIONS], _id(request), text), status=201
    )


async def post_take(request: web.Request) -> web.Response:
    agent = _agent(await read_json(request))
    return web.json_response(await in_thread(take, request.config_dict[SESSIONS], _id(request), agent))


async def post_reply(request: web.Request) -> web.Response:
    body = await read_json(request)
    agent, text = _agent(body), _text(body)
    return web.json_response(
        await in_thread(reply, request.config_dict[SESSIONS], _id(request), agent, text), status=201
    )


async def post_close(request: web.Request) -> web.Response:
    body = await read_json(request)
    agent = _agent(body)
    notice = _text(body, "notice") if body.get("notice") else None
    result = await in_thread(
        close, request.config_dict[SESSIONS], _id(request), agent, notice, bool(body.get("end_session"))
    )
    return web.json_response(result)


async def post_external(request: web.Request) -> web.Response:
    body = await read_json(request)
    external = str(body.get("external_id") or "")
    if not external or len(external) > 40:
        raise ApiError(400, "bad_external_id", "external_id has 1-40 characters")
    return web.json_response(await in_thread(set_external, request.config_dict[SESSIONS], _id(request), external))


async def get_external(request: web.Request) -> web.Response:
    found = await in_thread(by_external, request.config_dict[SESSIONS], request.match_info["external_id"][:40])
    if found is None:
        raise ApiError(404, "handoff_not_found", "No conversation with this helpdesk id")
    return web.json_response(found)


async def get_outbox(request: web.Request) -> web.Response:
    channel = request.query.get("channel", "")
    if not channel.isascii() or not channel.isalpha() or len(channel) > 10:
        raise ApiError(400, "bad_channel", "channel is web, tg or zalo")
    user = request.query.get("channel_user")
    user = channel_user_of(user) if user else None
    if user is not None and not user.startswith(channel + ":"):
        raise ApiError(400, "bad_channel_user", "channel_user must belong to channel")
    rows = await in_thread(outbox, request.config_dict[SESSIONS], channel, user)
    return web.json_response({"messages": rows})


async def post_delivered(request: web.Request) -> web.Response:
    await in_thread(delivered, request.config_dict[SESSIONS], int(request.match_info["message_id"]))
    return web.Response(status=204)


async def post_lookup(request: web.Request) -> web.Response:
    body = await read_json(request)
    require_fields(body, "cccd")
    agent, reason = _agent(body), _text(body, "reason")
    cccd = str(body["cccd"]).strip()
    if not re.fullmatch(r"\d{12}", cccd):
        raise ApiError(400, "bad_cccd", "cccd must be 12 digits")
    found = await in_thread(lookup, request.config_dict[SESSIONS], cccd, f"{request[COMPONENT]}:{agent}", reason)
    if found is None:
        raise ApiError(404, "beneficiary_not_found", "No beneficiary with this CCCD")
    return web.json_response(found)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/conversations", post_conversation)
    app.router.add_get("/conversations", get_queue)
    app.router.add_get(r"/conversations/{handoff_id:\d+}", get_conversation)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/reveal", post_reveal)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/messages", post_message)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/take", post_take)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/replies", post_reply)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/close", post_close)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/external", post_external)
    app.router.add_get("/external/{external_id}", get_external)
    app.router.add_get("/senders/{channel_user}", get_sender)
    app.router.add_get("/outbox", get_outbox)
    app.router.add_post(r"/outbox/{message_id:\d+}/delivered", post_delivered)
    app.router.add_post("/lookups", post_lookup)
