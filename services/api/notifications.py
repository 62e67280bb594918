"""Payment API, notifications: opt in or out, payment status changes, and the outbox the notifier sends.

When a payment becomes paid or failed, one notification row is written per subscribed channel
user. The (channel user, payment, status) key is unique and a row is marked sent once, so a
restart of either side never sends the same message twice. Each channel's sender asks only for
its own rows (`?channel=tg`). A send the channel refused is tried again after a growing pause
(RETRY_AFTER) and given up after the last one, so a person who blocked the bot, or a Zalo quota
that is spent, does not cost a send every half minute for ever.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from core.formatting import vietnam_today
from core.values import PAYMENT_STATUSES
from services.api.app import COMPONENT, SESSIONS, ApiError, channel_user_of, in_thread, read_json
from services.audit import audit
from services.db import transaction
from services.identity import helpers
from services.identity.policy import now
from services.models import Beneficiary, HelperAuthorisation, Notification, NotificationSubscription, Payment

NOTIFIED_STATUSES = {"paid", "failed"}
# Pause after the 1st, 2nd... failed send; after the last one the message is given up.
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6))
CHANNEL = r"[a-z]{1,10}"  # the prefix of a channel user: "tg", "zalo"


def subscribe(factory: sessionmaker, channel_user: str, beneficiary_id: int) -> None:
    """Payment messages of this person to this chat: from the person's own verified session, or from
    a helper's whose authorisation allows acts (kept on the authorisation, so it ends with it)."""
    at = now()
    with transaction(factory) as session:
        if session.get(Beneficiary, beneficiary_id) is None:
            raise ApiError(404, "beneficiary_not_found", "No such beneficiary")
        found = helpers.use_access(session, channel_user, beneficiary_id, at, "subscribed")
        if found.beneficiary_id != beneficiary_id:
            auth = helpers.active_for(session, found.beneficiary_id, beneficiary_id, at)
            if auth is not None:
                auth.notify_channel_user = channel_user
            return
        found = session.get(NotificationSubscription, channel_user)
        if found is None:
            session.add(NotificationSubscription(channel_user=channel_user, beneficiary_id=beneficiary_id))
        else:
            found.beneficiary_id = beneficiary_id


def unsubscribe(factory: sessionmaker, channel_user: str) -> None:
    """No more payment messages to this chat: its own, nor those of the people it helps."""
    with transaction(factory) as session:
        found = session.get(NotificationSubscription, channel_user)
        if found is not None:
            session.delete(found)
        helped = select(HelperAuthorisation).where(HelperAuthorisation.notify_channel_user == channel_user)
        for auth in session.execute(helped).scalars():
            auth.notify_channel_user = None


def is_subscribed(factory: sessionmaker, channel_user: str) -> bool:
    with transaction(factory) as session:
        return session.get(NotificationSubscription, channel_user) is not None


def change_status(factory: sessionmaker, payment_id: int, status: str, when: date, actor: str) -> dict[str, Any]:
    """Move a payment along its pipeline; paid or failed owes each subscriber one message."""
    with transaction(factory) as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise ApiError(404, "payment_not_found", "No such payment")
        changed = payment.status != status
        audit(session, actor, "payment_status", None, payment_id=payment_id, status=status)
        payment.status, payment.status_date = status, when
        if changed and status in NOTIFIED_STATUSES:
            subscribers = session.execute(
                select(NotificationSubscription.channel_user).where(
                    NotificationSubscription.beneficiary_id == payment.beneficiary_id
                )
            ).scalars()
            at = datetime.utcnow()
            active = helpers.authorisations(session, at, beneficiary_id=payment.beneficiary_id, states=("active",))
            helping = [auth.notify_channel_user for auth in active if auth.notify_channel_user and auth.scope == "act"]
            for channel_user in dict.fromkeys([*subscribers, *helping]):
                exists = session.execute(
                    select(Notification.id).filter_by(channel_user=channel_user, payment_id=payment.id, status=status)
                ).first()
                if exists is None:
                    session.add(Notification(channel_user=channel_user, payment_id=payment.id, status=status))
        return {"id": payment.id, "status": payment.status, "status_date": payment.status_date.isoformat()}


def due(
    factory: sessionmaker, limit: int, channel: str | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Unsent, not given up and not waiting for a retry; oldest first; one channel's or all."""
    now = now or datetime.utcnow()
    with transaction(factory) as session:
        query = (
            select(Notification, Payment)
            .join(Payment, Payment.id == Notification.payment_id)
            .where(
                Notification.sent_at.is_(None),
                Notification.gave_up_at.is_(None),
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
            )
            .order_by(Notification.id)
            .limit(limit)
        )
        if channel:
            query = query.where(Notification.channel_user.startswith(f"{channel}:", autoescape=True))
        return [
            {
                "id": note.id,
                "channel_user": note.channel_user,
                "status": note.status,
                "period": payment.period,
                "program": payment.program,
                "amount_vnd": payment.amount_vnd,
                **_for_whom(session, note.channel_user, payment.beneficiary_id),
            }
            for note, payment in session.execute(query).all()
        ]


def _for_whom(session: Any, channel_user: str, beneficiary_id: int) -> dict[str, str]:
    """A helper's message names the person it is about ("Bà Trần Thị Bình"); a person's own does not."""
    own = session.get(NotificationSubscription, channel_user)
    if own is not None and own.beneficiary_id == beneficiary_id:
        return {}
    person = session.get(Beneficiary, beneficiary_id)
    return {"for_name": f"{helpers.title(person)} {person.full_name}"}


def mark_sent(factory: sessionmaker, notification_id: int) -> bool:
    """True the first time; a second call (a retry after a crash) changes nothing."""
    with transaction(factory) as session:
        note = session.get(Notification, notification_id)
        if note is None:
            raise ApiError(404, "notification_not_found", "No such notification")
        if note.sent_at is not None:
            return False
        note.sent_at = datetime.utcnow()
        return True


def mark_failed(factory: sessionmaker, notification_id: int, now: datetime | None = None) -> dict[str, Any]:
    """One more failed send: due again after the next pause in RETRY_AFTER, or given up."""
    now = now or datetime.utcnow()
    with transaction(factory) as session:
        note = session.get(Notification, notification_id)
        if note is None:
            raise ApiError(404, "notification_not_found", "No such notification")
        if note.sent_at is None and note.gave_up_at is None:
            note.attempts += 1
            if note.attempts > len(RETRY_AFTER):
                note.gave_up_at = now
            else:
                note.next_attempt_at = now + RETRY_AFTER[note.attempts - 1]
        waiting = note.sent_at is None and note.gave_up_at is None and note.next_attempt_at is not None
        return {
            "attempts": note.attempts,
            "gave_up": note.gave_up_at is not None,
            "next_attempt_at": note.next_attempt_at.isoformat() if waiting else None,
        }


async def post_subscription(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not body.get("channel_user") or not isinstance(body.get("beneficiary_id"), int):
        raise ApiError(400, "missing_fields", "channel_user and beneficiary_id are required")
    user = channel_user_of(body["channel_user"])
    await in_thread(subscribe, request.config_dict[SESSIONS], user, body["beneficiary_id"])
    return web.json_response({"subscribed": True}, status=201)


async def get_subscription(request: web.Request) -> web.Response:
    user = channel_user_of(request.match_info["channel_user"])
    found = await in_thread(is_subscribed, request.config_dict[SESSIONS], user)
    return web.json_response({"subscribed": found})


async def delete_subscription(request: web.Request) -> web.Response:
    await in_thread(unsubscribe, request.config_dict[SESSIONS], channel_user_of(request.match_info["channel_user"]))
    return web.Response(status=204)


async def post_payment_status(request: web.Request) -> web.Response:
    body = await read_json(request)
    if body.get("status") not in PAYMENT_STATUSES:
        raise ApiError(400, "bad_status", f"status must be one of {', '.join(PAYMENT_STATUSES)}")
    try:
        when = date.fromisoformat(str(body.get("status_date") or vietnam_today().isoformat()))
    except ValueError as error:
        raise ApiError(400, "bad_date", "status_date must be YYYY-MM-DD") from error
    result = await in_thread(
        change_status, request.config_dict[SESSIONS], int(request.match_info["payment_id"]), body["status"], when,
        request[COMPONENT],
    )  # fmt: skip
    return web.json_response(result)


async def get_due(request: web.Request) -> web.Response:
    try:
        limit = min(max(int(request.query.get("limit", "50")), 1), 500)
    except ValueError as error:
        raise ApiError(400, "bad_limit", "limit must be a number") from error
    channel = request.query.get("channel") or None
    if channel is not None and not re.fullmatch(CHANNEL, channel):
        raise ApiError(400, "bad_channel", "channel is a channel prefix such as tg or zalo")
    notes = await in_thread(due, request.config_dict[SESSIONS], limit, channel)
    return web.json_response({"notifications": notes})


async def post_sent(request: web.Request) -> web.Response:
    try:
        first = await in_thread(mark_sent, request.config_dict[SESSIONS], int(request.match_info["notification_id"]))
    except IntegrityError as error:  # pragma: no cover - a race between two notifiers
        raise ApiError(409, "conflict", "Try again") from error
    return web.json_response({"first_time": first})


async def post_failed(request: web.Request) -> web.Response:
    result = await in_thread(mark_failed, request.config_dict[SESSIONS], int(request.match_info["notification_id"]))
    return web.json_response(result)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/subscriptions", post_subscription)
    app.router.add_get("/subscriptions/{channel_user}", get_subscription)
    app.router.add_delete("/subscriptions/{channel_user}", delete_subscription)
    app.router.add_post(r"/payments/{payment_id:\d+}/status", post_payment_status)
    app.router.add_get("/notifications/due", get_due)
    app.router.add_post(r"/notifications/{notification_id:\d+}/sent", post_sent)
    app.router.add_post(r"/notifications/{notification_id:\d+}/failed", post_failed)
