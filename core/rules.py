"""The legal rules as plain data: standards by period and the amount of each benefit on a day.

Pure functions over the YAML files in `core/rules/`; no database, HTTP or Rasa here. Every amount
carries the citation of the text in force on that day (a 2022 người có công figure cites NĐ 75/2021,
not the decree that replaced it), and an amount that is not known is `None`, never 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml

from core.formatting import money

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
    """One benefit on one day. `parts` splits it into trợ cấp and phụ cấp where the law does."""

    key: str
    name: str
    program: str
    amount_vnd: int | None
    citation: str
    form: str
    confirmed: bool
    per_child: bool
    parts: tuple[tuple[str, int], ...] = ()
    coefficient: float | None = None
    standard_vnd: int | None = None
    minimum: bool = False
    rate: int | None = None
    note: str = ""


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the rules load 5–15× faster
CHECK_EVERY_S = 2.0  # how often a running process looks whether a rules file changed
_T = TypeVar("_T")
_version: tuple[float, tuple[tuple[str, int, int], ...]] = (float("-inf"), ())


def rules_version() -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of every rules file; looked at most every CHECK_EVERY_S."""
    global _version
    now = time.monotonic()
    checked, version = _version
    if now - checked >= CHECK_EVERY_S:
        files = sorted(p for p in RULES_DIR.iterdir() if p.suffix in (".yaml", ".yml"))
        version = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        _version = (now, version)
    return version


def loaded_once(load: Callable[[], _T]) -> Callable[[], _T]:
    """Like lru_cache(maxsize=1) for a loader of the rules files, but loaded again when a file changes,
    so a change of law reaches the running services without a restart."""
    cache: list[Any] = []  # [version, value]

    @wraps(load)
    def loaded() -> _T:
        version = rules_version()
        if not cache or cache[0] != version:
            cache[:] = [version, load()]
        return cache[1]

    loaded.cache_clear = cache.clear  # type: ignore[attr-defined]
    return loaded


def _read_yaml(name: str) -> Any:
    with open(RULES_DIR / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python


_YAML: dict[str, tuple[tuple[str, int, int], ...] | Any] = {}


def load_yaml(name: str) -> Any:
    """A rules file, parsed once per version of the files (callers must not change what they get)."""
    version = rules_version()
    kept = _YAML.get(name)
    if kept is None or kept[0] != version:
        kept = _YAML[name] = (version, _read_yaml(name))
    return kept[1]


def _periods(rows: list[dict[str, Any]]) -> list[Period]:
    return [Period(row["from"], row.get("to"), int(row.get("amount") or 0), row.get("source", "")) for row in rows]


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
    merit_periods: list[Period] = field(default_factory=list)
    merit_tables: dict[str, list[dict[int, int]]] = field(default_factory=dict)
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    topic_rates: dict[str, list[int]] = field(default_factory=dict)

    def standard_on(self, kind: str, day: date) -> Period:
        """The mức chuẩn of `kind` (social_assistance, merit) in force on `day`."""
        return _on(self.standards[kind], day, f"{kind} standard")

    def change_days(self) -> list[date]:
        """Every day on which some amount changes: the ends of the periods (for answers about a year)."""
        days = {p.start for periods in self.standards.values() for p in periods}
        days |= {p.start for p in self.merit_periods}
        for row in self.benefits.values():
            days |= {r["from"] for r in row.get("amounts") or []}
        return sorted(days)

    def _merit_index(self, day: date) -> tuple[int, Period]:
        for index, period in enumerate(self.merit_periods):
            if period.covers(day):
                return index, period
        raise UnknownBenefit(f"no người có công amounts in force on {day.isoformat()}")

    def amount(self, key: str, day: date, local_standard_vnd: int = 0, rate: int | None = None) -> BenefitAmount:
        """The monthly (or one-time) amount of benefit `key` on `day`.

        A province's higher local standard replaces the national social-assistance standard
        (k3 Điều 4 NĐ 20/2021 as amended by NĐ 76/2024); it never lowers it, and never touches
        người có công amounts. `rate` is the tỷ lệ tổn thương cơ thể for table benefits.
        """
        if key in self.aliases:
            alias = self.aliases[key]
            key, rate = alias["key"], alias.get("rate", rate)
        if key not in self.benefits:
            raise UnknownBenefit(key)
        row = self.benefits[key]
        parts: tuple[tuple[str, int], ...] = ()
        coefficient, standard = row.get("coefficient"), None
        citation = row.get("citation", "")
        if coefficient is not None:
            period = self.standard_on(row["standard"], day)
            standard = period.amount
            if row["standard"] == "social_assistance":
                standard = max(standard, local_standard_vnd)
            value: int | None = int(round(standard * float(coefficient)))
        elif "merit" in row or "table" in row or "bands" in row:
            index, period = self._merit_index(day)
            citation = f"{row['annex']} {period.source}"
            value = self._merit_value(row, index, rate)
            if value is not None and row.get("extra"):
                parts = (("trợ cấp", value), ("phụ cấp", int(row["extra"][index])))
                value += int(row["extra"][index])
        elif row.get("amounts") is None:
            value = None  # the law's figure is not known (✘ in DOMAIN.md): said so, never counted as 0
        else:
            value = _on(_periods(row["amounts"]), day, key).amount
        note = ""
        if row.get("seniority") and "merit" in row:
            index, _ = self._merit_index(day)
            note = f"cộng thêm phụ cấp {money(int(row['seniority'][index]))} cho mỗi năm thâm niên"
        return BenefitAmount(
            key=key,
            name=row["name"],
            program=row["program"],
            amount_vnd=value,
            citation=citation,
            form=row.get("form", ""),
            confirmed=row.get("status", "confirmed") == "confirmed" and value is not None,
            per_child=row.get("per") == "child",
            parts=parts,
            coefficient=float(coefficient) if coefficient is not None else None,
            standard_vnd=standard,
            minimum=bool(row.get("minimum", False)),
            rate=rate if ("table" in row or "bands" in row) else None,
            note=note,
        )

    def _merit_value(self, row: dict[str, Any], index: int, rate: int | None) -> int | None:
        if "merit" in row:
            return int(row["merit"][index])
        if rate is None:
            return None  # depends on the tỷ lệ tổn thương: unknown until it is said
        if "table" in row:
            return self.merit_tables[row["table"]][index].get(int(rate))
        bands = sorted(int(low) for low in row["bands"])
        if rate < bands[0]:
            return None
        low = max(b for b in bands if b <= rate)
        return int(row["bands"][low][index])

    def rate_range(self, key: str) -> tuple[int, int]:
        """The lowest and highest tỷ lệ tổn thương a table benefit knows."""
        row = self.benefits[key]
        if "table" in row:
            rates = self.merit_tables[row["table"]][0]
            return min(rates), max(rates)
        return min(int(b) for b in row["bands"]), 100

    def for_topic(
        self,
        topic: str,
        day: date,
        disability_level: str | None = None,
        local_standard_vnd: int = 0,
        rate: int | None = None,
    ) -> list[BenefitAmount]:
        """Benefits to quote for a group someone named, those not in force on `day` left out.

        A table benefit is quoted at `rate` when given, else at the topic's usual rates.
        """
        if topic not in self.topics:
            raise UnknownBenefit(topic)
        found = []
        for key in self.topics[topic]:
            row = self.benefits[key]
            level = row.get("disability_level")
            if disability_level and level and level != disability_level:
                continue
            rates: list[int | None] = [None]
            if "table" in row or "bands" in row:
                rates = [rate] if rate else list(self.topic_rates.get(topic, [self.rate_range(key)[0]]))
            elif rate and rate < row.get("from_rate", 0):
                continue  # a phụ cấp paid from 81 % only
            for each in rates:
                try:
                    found.append(self.amount(key, day, local_standard_vnd, each))
                except UnknownBenefit:
                    continue
        return found

    def group_amount(self, group_code: str, day: date, local_standard_vnd: int = 0) -> int:
        """The base monthly amount paid to a registered group (used to seed and check payments)."""
        for key, row in self.benefits.items():
            if row.get("group_code") == group_code and row.get("coefficient") is not None:
                value = self.amount(key, day, local_standard_vnd).amount_vnd
                if value is not None:
                    return value
        raise UnknownBenefit(group_code)


@loaded_once
def load_rules() -> Rules:
    data = load_yaml("benefits.yaml")
    benefits = {row["key"]: row for row in data["benefits"]}
    for topic, keys in data["topics"].items():
        missing = [key for key in keys if key not in benefits]
        if missing:
            raise ValueError(f"topic {topic} names unknown benefits {missing}")
    merit_periods = [Period(r["from"], r.get("to"), 0, r["decree"]) for r in data["merit_periods"]]
    tables = {
        name: [{int(rate): int(amount) for rate, amount in period["by_rate"].items()} for period in periods]
        for name, periods in data["merit_tables"].items()
    }
    for key, row in benefits.items():
        for name in ("merit", "extra", "seniority"):
            if name in row and len(row[name]) != len(merit_periods):
                raise ValueError(f"{key}.{name} needs one figure per merit period")
        if "table" in row and len(tables[row["table"]]) != len(merit_periods):
            raise ValueError(f"table {row['table']} needs one table per merit period")
    return Rules(
        standards={kind: _periods(rows) for kind, rows in data["standards"].items()},
        benefits=benefits,
        topics=data["topics"],
        merit_periods=merit_periods,
        merit_tables=tables,
        aliases=data.get("aliases", {}),
        topic_rates=data.get("topic_rates", {}),
    )
