"""Client of the eligibility service: benefit amounts by group, and the pre-check interview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from clients.http import ServiceClient
from core.rules import BenefitAmount
from core.settings import get_settings


@dataclass(frozen=True)
class Question:
    """The one fact the pre-check still depends on, with its offered answers as (value, label)."""

    fact: str
    type: str
    text: str
    options: tuple[tuple[Any, str], ...]


@dataclass(frozen=True)
class PreCheck:
    """The eligibility service's answer for the facts gathered so far (see core/eligibility/).

    `first` is the answer worded for the first bubble, `details` the basis, papers and where to apply,
    `early` what the facts so far already settle while questions remain ("" when nothing).
    """

    benefits: tuple[dict[str, Any], ...]
    monthly_total_vnd: int
    explanation: tuple[str, ...]
    care_support: tuple[dict[str, Any], ...]
    next_question: Question | None
    undecided: tuple[str, ...]
    where_to_apply: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]
    first: str = ""
    details: str = ""
    one_time: tuple[dict[str, Any], ...] = ()
    early: str = ""

    @property
    def complete(self) -> bool:
        return self.next_question is None

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> PreCheck:
        raw = body.get("next_question")
        question = None
        if raw:
            options = tuple((option["value"], option["label"]) for option in raw.get("options", []))
            question = Question(raw["fact"], raw["type"], raw["text"], options)
        return cls(
            benefits=tuple(body.get("benefits", [])),
            monthly_total_vnd=int(body.get("monthly_total_vnd", 0)),
            explanation=tuple(body.get("explanation", [])),
            care_support=tuple(body.get("care_support", [])),
            next_question=question,
            undecided=tuple(item["text"] for item in body.get("undecided", [])),
            where_to_apply=tuple(body.get("where_to_apply", [])),
            notes=tuple(body.get("notes", [])),
            first=body.get("answer", {}).get("first", ""),
            details=body.get("answer", {}).get("details", ""),
            one_time=tuple(body.get("one_time", [])),
            early=body.get("answer", {}).get("early", ""),
        )


class EligibilityClient(ServiceClient):
    def __init__(self, base_url: str | None = None, timeout_s: float | None = None, token: str | None = None) -> None:
        super().__init__(base_url or get_settings().eligibility_url, timeout_s, token)

    async def benefits(
        self, topic: str, on: date, disability_level: str | None = None, rate: int | None = None
    ) -> list[BenefitAmount]:
        params = {"topic": topic, "on": on.isoformat()}
        if disability_level:
            params["disability_level"] = disability_level
        if rate:
            params["rate"] = str(rate)
        body = await self._request("GET", "/benefits", params=params)
        rows = [row | {"parts": tuple(tuple(part) for part in row.get("parts", []))} for row in body["benefits"]]
        return [BenefitAmount(**row) for row in rows]  # the service's own shape (core/rules.py)

    async def evaluate(
        self,
        facts: dict[str, Any],
        on: date,
        until: date | None = None,
        about: dict[str, Any] | None = None,
        ask_first: list[str] | None = None,
    ) -> PreCheck:
        """Pre-check a person from the facts told so far; the service keeps nothing about them.

        `until` asks about a stretch of days (a month, a year); `about` names the person in the answer;
        `ask_first` the facts to ask before others while they matter ("tôi bị khuyết tật": the level).
        """
        body: dict[str, Any] = {"facts": facts, "on": on.isoformat()}
        if ask_first:
            body["ask_first"] = ask_first
        if until is not None and until != on:
            body["until"] = until.isoformat()
        if about:
            body["about"] = about
        return PreCheck.from_dict(await self._request("POST", "/evaluate", json=body))
