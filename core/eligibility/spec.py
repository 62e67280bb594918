"""The rules file `core/rules/eligibility.yaml`, loaded once and checked against the facts and benefits."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from core.eligibility.facts import Facts
from core.rules import Rules, load_rules, load_yaml, loaded_once

NEGATIVE: dict[str, Any] = {"bool": False, "count": 0}
"""The "no" of a fact type: the value a fact never put to this person takes when it has no `default`."""


@dataclass(frozen=True)
class Spec:
    """eligibility.yaml with its questions indexed by fact."""

    data: dict[str, Any]
    rules: Rules
    questions: tuple[dict[str, Any], ...]
    by_fact: dict[str, dict[str, Any]]
    types: dict[str, str]
    values: dict[str, set[str]]
    implied_facts: frozenset[str] = frozenset()

    def question(self, fact: str) -> dict[str, Any]:
        return self.by_fact[fact]

    def default(self, fact: str) -> Any:
        """The value of a fact that is never asked of this person (see the file's header)."""
        question = self.by_fact[fact]
        if "default" in question:
            return question["default"]
        return NEGATIVE.get(question["type"], "none" if question["type"] == "choice" else None)

    def sensitive(self, fact: str) -> bool:
        return bool(self.by_fact.get(fact, {}).get("sensitive"))

    def order(self, fact: str) -> int:
        return next(i for i, q in enumerate(self.questions) if q["fact"] == fact)

    def row(self, key: str) -> dict[str, Any]:
        """The eligibility row of a benefit key (monthly, merit, care or one-time), or {}."""
        data = self.data
        return next(
            (r for r in data["monthly"] + data["merit"] + data["care"] + data["one_time"] if r["key"] == key), {}
        )


@loaded_once  # loaded again when a rules file changes
def spec() -> Spec:
    data = load_yaml("eligibility.yaml")
    rules = load_rules()
    questions = tuple(data["questions"])
    by_fact = {q["fact"]: q for q in questions}
    types = {q["fact"]: q["type"] for q in questions} | {"birth_year": "year"}
    values = {q["fact"]: {o["value"] for o in q["options"]} for q in questions if q["type"] == "choice"}
    declared = {item.name for item in fields(Facts)}
    if set(types) != declared:
        raise ValueError(f"eligibility.yaml questions and Facts differ: {sorted(set(types) ^ declared)}")
    for row in data["monthly"] + data["merit"] + data["care"] + data["one_time"]:
        if row["key"] not in rules.benefits:
            raise ValueError(f"eligibility.yaml names unknown benefit {row['key']}")
    implied = frozenset(fact for rule in data.get("implies", []) for fact in rule["then"])
    return Spec(data=data, rules=rules, questions=questions, by_fact=by_fact, types=types, values=values,
                implied_facts=implied)  # fmt: skip
