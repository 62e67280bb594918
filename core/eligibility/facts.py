"""What the person told about the one asked about: plain values, checked against the rules' value sets.

None = not asked yet; `UNKNOWN` = answered "không biết" (or "không muốn trả lời"). No name, number or
place is ever a fact: the facts are safe to keep in a slot and to send to the stateless service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

UNKNOWN: Literal["unknown"] = "unknown"
"""The answer "không biết": the fact was asked and the person does not know (or prefers not to say)."""

Unknown = Literal["unknown"]
IntAnswer = int | Unknown | None
BoolAnswer = bool | Unknown | None
TextAnswer = str | None

BOUNDS = {"age": (0, 130), "count": (0, 30), "year": (1880, 2200), "month": (1, 12), "rate": (0, 100)}
"""Accepted ranges of the numeric fact types."""


class FactError(ValueError):
    """A fact has a name or value the rules do not know (the message names the fact, never the value)."""


@dataclass(frozen=True)
class Facts:
    """What the person told so far about the person asked about (see eligibility.yaml `questions`).

    `age` is the age on the evaluation day; `birth_year` (with `birth_month` when the year is not
    enough) may be given instead. Choice values are those of eligibility.yaml `questions`.
    """

    age: IntAnswer = None
    birth_year: IntAnswer = None
    birth_month: IntAnswer = None
    deceased: BoolAnswer = None
    was_receiving: TextAnswer = None
    disaster_death: BoolAnswer = None
    in_facility: BoolAnswer = None
    has_pension: BoolAnswer = None
    pension_below_social_pension: BoolAnswer = None
    household_type: TextAnswer = None  # poor | near_poor | none
    has_supporter: BoolAnswer = None
    taken_in_by_carer: BoolAnswer = None
    disability_level: TextAnswer = None  # none | severe | especially_severe
    family_cares: BoolAnswer = None
    orphan_situation: TextAnswer = None  # none | abandoned | both_parents_dead | one_dead_other_absent | both_absent
    was_receiving_child_allowance: BoolAnswer = None
    studying: BoolAnswer = None
    is_single_parent: BoolAnswer = None
    children_in_care: IntAnswer = None
    lives_in_special_area: BoolAnswer = None
    infant_care: TextAnswer = None
    merit: BoolAnswer = None
    merit_group: TextAnswer = None  # a người có công group of eligibility.yaml
    injury_rate: IntAnswer = None  # tỷ lệ tổn thương cơ thể, %
    especially_severe_wound: BoolAnswer = None
    martyrs_count: IntAnswer = None
    lives_alone: BoolAnswer = None
    carer: BoolAnswer = None
    care_duty: TextAnswer = None
    cared_count: IntAnswer = None
    survivor_allowance: BoolAnswer = None
    hiv: BoolAnswer = None
    has_stable_income: BoolAnswer = None

    @classmethod
    def names(cls) -> set[str]:
        return {item.name for item in fields(cls)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Facts:
        """Facts from JSON-like data, checked against the value sets of eligibility.yaml."""
        known = cls.names()
        for name in data:
            if name not in known:
                raise FactError(f"unknown fact {name!r}")
        facts = cls(**{name: value for name, value in data.items() if value is not None})
        facts.check()
        return facts

    def check(self) -> None:
        """Raise FactError when a value is outside the fact's type or value set."""
        from core.eligibility.spec import spec

        rules = spec()
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == UNKNOWN:
                continue
            kind = rules.types[item.name]
            if kind == "bool":
                ok = isinstance(value, bool)
            elif kind in BOUNDS:
                low, high = BOUNDS[kind]
                ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            else:
                ok = isinstance(value, str) and value in rules.values[item.name]
            if not ok:
                raise FactError(f"bad value for {item.name}")

    def to_dict(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self) if getattr(self, item.name) is not None}
