"""Payment API: a person's monthly payments and each commune's payment schedule."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.text import fold_words
from services.api.app import COMPONENT, SESSIONS, ApiError, acting_user, in_thread
from services.audit import audit
from services.db import transaction
from services.identity.helpers import use_access
from services.identity.policy import now
from services.models import CommuneSchedule, Payment

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def payment_view(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "period": payment.period,
        "program": payment.program,
        "amount_vnd": payment.amount_vnd,
        "status": payment.status,
        "status_date": payment.status_date.isoformat(),
        "channel": payment.channel,
    }


def list_payments(
    factory: sessionmaker, beneficiary_id: int, period: str | None, channel_user: str | None, actor: str
) -> list[dict[str, Any]]:
    """A person's payments, read through their verified session, or by staff (audited)."""
    with transaction(factory) as session:
        if channel_user is not None:
            use_access(session, channel_user, beneficiary_id, now(), "payments_read")
        else:
            audit(session, actor, "payments_read", None, beneficiary_id=beneficiary_id)
        query = select(Payment).where(Payment.beneficiary_id == beneficiary_id)
        if period:
            query = query.where(Payment.period == period)
        rows = session.execute(query.order_by(Payment.period.desc(), Payment.program)).scalars()
        return [payment_view(row) for row in rows]


def schedule_view(row: CommuneSchedule) -> dict[str, Any]:
    return {
        "province": row.province,
        "commune": row.commune,
        "transfer_day": row.transfer_day,
        "cash_day": row.cash_day,
        "cash_place": row.cash_place,
    }


def _strip_unit(name: str) -> str:
    return re.sub(r"^(xa|phuong|thi tran|dac khu)\s+", "", fold_words(name))


def find_schedules(factory: sessionmaker, commune: str, province: str | None) -> list[dict[str, Any]]:
    """Schedules whose commune name matches, ignoring case, diacritics and 'xã/phường'."""
    wanted = _strip_unit(commune)
    with transaction(factory) as session:
        rows = session.execute(select(CommuneSchedule).order_by(CommuneSchedule.province)).scalars()
        found = [
            schedule_view(row)
            for row in rows
            if _strip_unit(row.commune) == wanted and (not province or fold_words(row.province) == fold_words(province))
        ]
    return found


async def get_payments(request: web.Request) -> web.Response:
    period = request.query.get("period")
    if period and not PERIOD.match(period):
        raise ApiError(400, "bad_period", "period must be YYYY-MM")
    user = acting_user(request, request.query.get("channel_user"))
    rows = await in_thread(
        list_payments, request.config_dict[SESSIONS], int(request.match_info["beneficiary_id"]), period, user,
        request[COMPONENT],
    )  # fmt: skip
    return web.json_response({"payments": rows})


async def get_schedules(request: web.Request) -> web.Response:
    commune = request.query.get("commune", "").strip()
    if not commune or len(commune) > 120:
        raise ApiError(400, "bad_commune", "commune is required (at most 120 characters)")
    rows = await in_thread(find_schedules, request.config_dict[SESSIONS], commune, request.query.get("province"))
    return web.json_response({"schedules": rows})


def add_routes(app: web.Application) -> None:
    app.router.add_get(r"/beneficiaries/{beneficiary_id:\d+}/payments", get_payments)
    app.router.add_get("/schedules", get_schedules)
