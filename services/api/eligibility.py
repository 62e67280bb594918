"""Eligibility API: the standards and amounts of the law on a given date, and a person's pre-check.

The pre-check is stateless: the facts travel in the request, are evaluated and forgotten; nothing
about the person is stored or logged. The answer texts (first bubble, basis, next question) are
worded here from `core/eligibility/wording.py`, for the person as the conversation names them.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from typing import Any

from aiohttp import web

from core.eligibility import AboutError, FactError, Facts, evaluate_range
from core.eligibility.wording import About, details, early_answer, first_answer, period_label, render_question
from core.formatting import vietnam_today
from core.rules import UnknownBenefit, load_rules
from core.settings import get_settings
from services.api.app import ApiError, read_json


def _day(request: web.Request) -> date:
    raw = request.query.get("on")
    if not raw:
        return vietnam_today()
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
    raw_rate = request.query.get("rate") or ""
    if raw_rate and not (raw_rate.isdigit() and 1 <= int(raw_rate) <= 100):
        raise ApiError(400, "bad_rate", "rate must be a percentage 1–100")
    try:
        found = load_rules().for_topic(
            topic,
            _day(request),
            disability_level=request.query.get("disability_level") or None,
            local_standard_vnd=get_settings().local_standard_vnd,
            rate=int(raw_rate) if raw_rate else None,
        )
    except UnknownBenefit as error:
        raise ApiError(404, "unknown_topic", f"Unknown topic {topic!r}") from error
    return web.json_response({"benefits": [asdict(item) for item in found]})


def _date(body: dict[str, Any], name: str, default: date | None) -> date | None:
    raw = body.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError) as error:
        raise ApiError(400, "bad_date", f"{name} must be YYYY-MM-DD") from error


async def post_evaluate(request: web.Request) -> web.Response:
    body = await read_json(request)
    raw_facts = body.get("facts", {})
    if not isinstance(raw_facts, dict):
        raise ApiError(400, "bad_facts", "facts must be a JSON object")
    day = _date(body, "on", vietnam_today()) or vietnam_today()
    until = _date(body, "until", None) or day
    if until < day:
        raise ApiError(400, "bad_date", "until must not be before on")
    try:
        facts = Facts.from_dict(raw_facts)
        about = About.from_dict(body.get("about") if isinstance(body.get("about"), dict) else None)
        first = body.get("ask_first") or []
        known = Facts.__dataclass_fields__
        if not isinstance(first, list) or not all(isinstance(f, str) and f in known for f in first):
            raise FactError("bad ask_first")
        result, segments = evaluate_range(facts, day, until, get_settings().local_standard_vnd, tuple(first))
    except (FactError, AboutError) as error:
        # The message names the fact, never the person's value.
        raise ApiError(400, "bad_fact", str(error)) from error
    except UnknownBenefit as error:
        raise ApiError(400, "date_out_of_range", "No rules in force on that date (from 2021-07-01)") from error
    if result.next_question is not None:
        result = replace(result, next_question=render_question(result.next_question, about, facts))
    out = result.to_dict()
    out["segments"] = [asdict(segment) | {"start": segment.start.isoformat(), "end": segment.end.isoformat()}
                       for segment in segments]  # fmt: skip
    when = period_label(day, until) if until != day else ""
    out["answer"] = {
        "first": first_answer(result, about, facts, when=when, segments=segments),
        "details": details(result, about, facts),
        "early": early_answer(result, about, facts, get_settings().local_standard_vnd),
    }
    return web.json_response(out)


def warm_up() -> None:
    """Load the rules and the wording once, so the first person does not wait for them (~1 s)."""
    facts = Facts()
    result, _ = evaluate_range(facts, vietnam_today(), vietnam_today())
    first_answer(result, About(), facts)
    details(result, About(), facts)


def add_routes(app: web.Application) -> None:
    warm_up()
    app.router.add_get("/standards", get_standards)
    app.router.add_get("/benefits", get_benefits)
    app.router.add_post("/evaluate", post_evaluate)
