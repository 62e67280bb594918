"""Three-valued conditions: a condition is true, false, or open on the facts it still depends on.

A fact not asked yet (or answered "không biết") leaves a condition open; a fact that is never put to
this person (`ask: on_request`, or an `ask_if` that is false) takes its default. The condition
language is described at the top of `core/rules/eligibility.yaml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from core.eligibility.facts import UNKNOWN, FactError, Facts
from core.eligibility.spec import Spec

Truth = bool | None  # None = open: depends on a fact not asked yet or not known
Result = tuple[Truth, frozenset[str]]  # with the open facts it depends on

OPEN = object()
"""The value of a fact that is not asked yet."""

TRUE: Result = (True, frozenset())
FALSE: Result = (False, frozenset())


def all_of(results: list[Result]) -> Result:
    if any(state is False for state, _ in results):
        return FALSE
    waiting = [facts for state, facts in results if state is None]
    return (None, frozenset().union(*waiting)) if waiting else TRUE


def any_of(results: list[Result]) -> Result:
    if any(state is True for state, _ in results):
        return TRUE
    waiting = [facts for state, facts in results if state is None]
    return (None, frozenset().union(*waiting)) if waiting else FALSE


def negate(result: Result) -> Result:
    state, facts = result
    return (None, facts) if state is None else (not state, frozenset())


def compare(value: Any, want: Any) -> bool:
    if isinstance(want, list):
        return value in want
    if isinstance(want, dict):
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        return (
            value >= want.get("min", value) and value < want.get("below", value + 1) and value <= want.get("max", value)
        )
    return value == want


class Context:
    """The facts on one day, as the conditions see them."""

    def __init__(self, facts: Facts, on: date, rules: Spec) -> None:
        self.facts = facts
        self.on = on
        self.spec = rules
        self.age_range, self.age_fact = self._age()
        self._askable: dict[str, Result] = {}
        self._values: dict[str, Any] = {}

    def _age(self) -> tuple[tuple[int, int] | None, str]:
        """The age on the day as (youngest, oldest) possible, or None, and the fact that would settle it."""
        age, year, month = self.facts.age, self.facts.birth_year, self.facts.birth_month
        if isinstance(age, int):
            return (age, age), "age"
        if not isinstance(year, int):
            return None, "age"
        reached = self.on.year - year
        if reached < 0:
            raise FactError("birth_year is after the evaluation day")
        if isinstance(month, int):
            # The birthday month counts as reached: benefits start "từ thời điểm đủ tuổi" (Điều 8 NĐ 20/2021).
            exact = reached if self.on.month >= month else reached - 1
            return (max(exact, 0), max(exact, 0)), "age"
        return (max(reached - 1, 0), reached), "birth_month"

    def status(self, fact: str) -> str:
        """answered | open (not asked yet) | unknown ("không biết")."""
        if fact == "age":
            if self.age_range is not None:
                return "answered"
            return "unknown" if UNKNOWN in (self.facts.age, self.facts.birth_year) else "open"
        value = getattr(self.facts, fact)
        return "open" if value is None else ("unknown" if value == UNKNOWN else "answered")

    def askable(self, fact: str) -> Result:
        """Whether the fact may be put to this person: true, false, or open on the facts `ask_if` needs."""
        if fact not in self._askable:
            question = self.spec.question(fact)
            if question.get("ask") == "on_request":
                self._askable[fact] = FALSE
            elif "ask_if" in question:
                self._askable[fact] = TRUE  # no cycles through ask_if
                self._askable[fact] = self.condition(question["ask_if"])
            else:
                self._askable[fact] = TRUE
        return self._askable[fact]

    def implied(self, fact: str) -> Any:
        if fact not in self.spec.implied_facts:
            return OPEN
        for rule in self.spec.data.get("implies", []):
            if fact in rule["then"] and self.condition(rule["if"])[0] is True:
                return rule["then"][fact]
        return OPEN

    def value(self, fact: str) -> Any:
        """The fact's value, `UNKNOWN`, or OPEN; a fact never put to this person gives its default."""
        if fact not in self._values:
            self._values[fact] = self._value(fact)
        return self._values[fact]

    def _value(self, fact: str) -> Any:
        implied = self.implied(fact)  # what the law makes of other facts wins ("a pension is a stable income")
        if implied is not OPEN:
            return implied
        value = getattr(self.facts, fact)
        if value is not None and value != UNKNOWN:
            return value
        if value == UNKNOWN:
            return UNKNOWN
        if self.askable(fact)[0] is False:
            return self.spec.default(fact)
        return OPEN

    def _age_test(self, want: Mapping[str, int]) -> Result:
        if self.age_range is None:
            return None, frozenset({self.age_fact})
        low, high = self.age_range
        if compare(low, want) and compare(high, want):
            return TRUE
        if not compare(low, want) and not compare(high, want):
            return FALSE
        return None, frozenset({self.age_fact})

    def condition(self, cond: Mapping[str, Any], paid: frozenset[str] = frozenset()) -> Result:
        results: list[Result] = []
        for name, want in cond.items():
            if name == "any":
                results.append(any_of([self.condition(part, paid) for part in want]))
            elif name == "all":
                results.append(all_of([self.condition(part, paid) for part in want]))
            elif name == "not":
                results.append(negate(self.condition(want, paid)))
            elif name == "receives":
                results.append((bool(paid & set(want)), frozenset()))
            elif name == "age":
                results.append(self._age_test(want))
            else:
                value = self.value(name)
                if value is OPEN or value == UNKNOWN:
                    waiting = {name}
                    askable = self.askable(name)
                    if askable[0] is None:
                        waiting |= askable[1]  # ask what decides whether to ask (e.g. the age) first
                    results.append((None, frozenset(waiting)))
                else:
                    results.append((compare(value, want), frozenset()))
        return all_of(results)
