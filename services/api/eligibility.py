"""Eligibility API: the standards and monthly amounts of the law on a given date, and a person's pre-check.

The pre-check is stateless: the facts travel in the request, are evaluated and forgotten; nothing
about the person is stored or logged.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from aiohttp import web

from core.eligibility import FactError, Facts, evaluate
from core.rules import UnknownBenefit, load_rules
from core.settings import get_settings
from services.api.app import ApiError, read_json


def _day(request: web.Request) -> date:
    raw = request.query.get("on")
    if not raw:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise ApiError(400, "bad_date", "on must be YYYY-MM-DD") from error


async def get_standards(request: web.Request) -> web.Response:
    day = _day(request)
    rules = load_rules()
    try:
        body = {
            kind: {"amount_vnd": period.amount, "source": period.source}
            for kind in rules.standards
            for period in [rules.standard_on(kind, day)]
        }
    except UnknownBenefit as error:
        raise ApiError(404, "no_standard", str(error)) from error
    body["social_assistance"]["local_amount_vnd"] = max(
        body["social_assistance"]["amount_vnd"], get_settings().local_standard_vnd
    )
    return web.json_response({"on": day.isoformat(), "standards": body})


async def get_benefits(request: web.Request) -> web.Response:
    topic = request.query.get("topic", "")
    try:
        found = load_rules().for_topic(
            topic,
            _day(request),
            disability_level=request.query.get("disability_level") or None,
            local_standard_vnd=get_settings().local_standard_vnd,
        )
    except UnknownBenefit as error:
        raise ApiError(404, "unknown_topic", f"Unknown topic {topic!r}") from error
    return web.json_response({"benefits": [asdict(item) for item in found]})


async def post_evaluate(request: web.Request) -> web.Response:
    body = await read_json(request)
    raw_facts = body.get("facts", {})
    if not isinstance(raw_facts, dict):
        raise ApiError(400, "bad_facts", "facts must be a JSON object")
    raw_day = body.get("on")
    try:
        day = date.fromisoformat(raw_day) if raw_day else date.today()
    except (TypeError, ValueError) as error:
        raise ApiError(400, "bad_date", "on must be YYYY-MM-DD") from error
    try:
        result = evaluate(Facts.from_dict(raw_facts), day, get_settings().local_standard_vnd)
    except FactError as error:
        # The message names the fact, never the person's value.
        raise ApiError(400, "bad_fact", str(error)) from error
    except UnknownBenefit as error:
        raise ApiError(400, "date_out_of_range", "No rules in force on that date (from 2021-07-01)") from error
    return web.json_response(result.to_dict())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/standards", get_standards)
    app.router.add_get("/benefits", get_benefits)
    app.router.add_post("/evaluate", post_evaluate)
