"""The legal rules as plain data: standards by period and monthly benefit amounts.

Pure functions over the YAML files in `core/rules/`; no database, HTTP or Rasa here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).resolve().parent / "rules"


class UnknownBenefit(LookupError):
    """No benefit, topic or period matches the question."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None
    amount: int
    source: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class BenefitAmount:
    key: str
    name: str
    program: str
    amount_vnd: int
    citation: str
    form: str
    confirmed: bool
    per_child: bool


def load_yaml(name: str) -> Any:
    with open(RULES_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _periods(rows: list[dict[str, Any]]) -> list[Period]:
    return [Period(row["from"], row.get("to"), int(row["amount"]), row.get("source", "")) for row in rows]


def _on(periods: list[Period], day: date, what: str) -> Period:
    for period in periods:
        if period.covers(day):
            return period
    raise UnknownBenefit(f"no {what} in force on {day.isoformat()}")


@dataclass(frozen=True)
class Rules:
    standards: dict[str, list[Period]]
    benefits: dict[str, dict[str, Any]]
    topics: dict[str, list[str]]

    def standard_on(self, kind: str, day: date) -> Period:
        """The mức chuẩn of `kind` (social_assistance, merit) in force on `day`."""
        return _on(self.standards[kind], day, f"{kind} standard")

    def amount(self, key: str, day: date, local_standard_vnd: int = 0) -> BenefitAmount:
        """The monthly amount of benefit `key` on `day`.

        A province's higher local standard replaces the national social-assistance standard
        (k3 Điều 4 NĐ 20/2021 as amended by NĐ 76/2024); it never lowers it.
        """
        if key not in self.benefits:
            raise UnknownBenefit(key)
        row = self.benefits[key]
        if "coefficient" in row:
            standard = self.standard_on(row["standard"], day).amount
            if row["standard"] == "social_assistance":
                standard = max(standard, local_standard_vnd)
            # Người có công amounts are rounded to the nearest thousand (k2 Điều 3 NĐ 75/2021).
            value = round(standard * float(row["coefficient"]) / 1000) * 1000
        else:
            value = _on(_periods(row["amounts"]), day, key).amount
        return BenefitAmount(
            key=key,
            name=row["name"],
            program=row["program"],
            amount_vnd=int(value),
            citation=row["citation"],
            form=row.get("form", ""),
            confirmed=row.get("status", "confirmed") == "confirmed",
            per_child=row.get("per") == "child",
        )

    def for_topic(
        self,
        topic: str,
        day: date,
        disability_level: str | None = None,
        local_standard_vnd: int = 0,
    ) -> list[BenefitAmount]:
        """Benefits to quote for a group someone named, those not in force on `day` left out."""
        if topic not in self.topics:
            raise UnknownBenefit(topic)
        found = []
        for key in self.topics[topic]:
            level = self.benefits[key].get("disability_level")
            if disability_level and level and level != disability_level:
                continue
            try:
                found.append(self.amount(key, day, local_standard_vnd))
            except UnknownBenefit:
                continue
        return found

    def group_amount(self, group_code: str, day: date, local_standard_vnd: int = 0) -> int:
        """The base monthly amount paid to a registered group (used to seed and check payments)."""
        for key, row in self.benefits.items():
            if row["group_code"] == group_code:
                return self.amount(key, day, local_standard_vnd).amount_vnd
        raise UnknownBenefit(group_code)


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    data = load_yaml("benefits.yaml")
    benefits = {row["key"]: row for row in data["benefits"]}
    for topic, keys in data["topics"].items():
        missing = [key for key in keys if key not in benefits]
        if missing:
            raise ValueError(f"topic {topic} names unknown benefits {missing}")
    return Rules(
        standards={kind: _periods(rows) for kind, rows in data["standards"].items()},
        benefits=benefits,
        topics=data["topics"],
    )
