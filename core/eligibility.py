"""Who may receive what, and how much: the eligibility rules of DOMAIN.md as pure functions.

`evaluate(facts, on)` reads `core/rules/eligibility.yaml` (who qualifies) and `benefits.yaml`
(what it pays) and answers with the benefits a person may receive on a date, the total after the
overlap rules, and the single question the answer still depends on. Conditions are evaluated in
three-valued logic: a fact not asked yet, or answered "không biết" (`UNKNOWN`), leaves a condition
open. A fact is asked only when some open benefit would change the answer. No Rasa, HTTP or
database here; nothing about the person is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from core.formatting import money
from core.rules import BenefitAmount, Rules, UnknownBenefit, load_rules, load_yaml

UNKNOWN: Literal["unknown"] = "unknown"
"""The answer "không biết": the fact was asked and the person does not know."""

Unknown = Literal["unknown"]
IntAnswer = int | Unknown | None
BoolAnswer = bool | Unknown | None
TextAnswer = str | None

_OPEN = object()  # a fact not asked yet


class FactError(ValueError):
    """A fact has a name or value the rules do not know (the message names the fact, never the value)."""


@dataclass(frozen=True)
class Facts:
    """What the person told so far. None = not asked yet; `UNKNOWN` = "không biết".

    `age` is the age on the evaluation day; `birth_year` (with `birth_month` when the year is not
    enough) may be given instead. Choice values are those of eligibility.yaml `questions`.
    """

    age: IntAnswer = None
    birth_year: IntAnswer = None
    birth_month: IntAnswer = None
    has_pension: BoolAnswer = None
    pension_below_social_pension: BoolAnswer = None
    household_type: TextAnswer = None  # poor | near_poor | none
    has_supporter: BoolAnswer = None
    taken_in_by_carer: BoolAnswer = None
    disability_level: TextAnswer = None  # none | severe | especially_severe
    orphan_situation: TextAnswer = None  # none | abandoned | both_parents_dead | one_dead_other_absent | both_absent
    was_receiving_child_allowance: BoolAnswer = None
    studying: BoolAnswer = None
    is_single_parent: BoolAnswer = None
    children_in_care: IntAnswer = None
    lives_in_special_area: BoolAnswer = None
    infant_care: TextAnswer = None
    hiv: BoolAnswer = None
    has_stable_income: BoolAnswer = None
    merit_category: TextAnswer = None  # a người có công benefit key (eligibility.yaml merit.categories)
    care_duty: TextAnswer = None
    cared_count: IntAnswer = None
    survivor_allowance: BoolAnswer = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Facts:
        """Facts from JSON-like data, checked against the value sets of eligibility.yaml."""
        known = {item.name for item in fields(cls)}
        for name in data:
            if name not in known:
                raise FactError(f"unknown fact {name!r}")
        facts = cls(**{name: value for name, value in data.items() if value is not None})
        facts.check()
        return facts

    def check(self) -> None:
        """Raise FactError when a value is outside the fact's type or value set."""
        spec = _spec()
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == UNKNOWN:
                continue
            kind = spec.types[item.name]
            if kind == "bool":
                ok = isinstance(value, bool)
            elif kind in ("age", "count", "year", "month"):
                low, high = {"age": (0, 130), "count": (0, 30), "year": (1880, 2200), "month": (1, 12)}[kind]
                ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            else:
                ok = isinstance(value, str) and value in spec.values[item.name]
            if not ok:
                raise FactError(f"bad value for {item.name}")

    def to_dict(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self) if getattr(self, item.name) is not None}


@dataclass(frozen=True)
class Option:
    value: Any
    label: str


@dataclass(frozen=True)
class Question:
    """The next thing to ask: the fact's name (the slot to fill), a Vietnamese text and its answers."""

    fact: str
    type: str
    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Undecided:
    """A fact answered "không biết" that still matters, and what its answer would decide."""

    fact: str
    text: str


@dataclass(frozen=True)
class Procedure:
    text: str
    citation: str
    confirmed: bool


@dataclass(frozen=True)
class Item:
    """One benefit line. `amount_vnd` = unit × count, None when the amount is not confirmed."""

    key: str
    group: str
    kind: str  # monthly | care | one_time
    name: str
    program: str
    amount_vnd: int | None
    unit_amount_vnd: int | None
    count: int
    coefficient: float | None
    minimum: bool  # the law sets a floor ("tối thiểu")
    citation: str
    form: str
    form_name: str
    papers: tuple[str, ...]
    confirmed: bool
    starts: str
    note: str
    procedure: str  # key of eligibility.yaml `procedures`: where and how to apply
    paid: bool = False
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    on: date
    standard_vnd: int
    benefits: tuple[Item, ...]  # monthly benefits the person qualifies for; `paid` marks those paid after overlap
    monthly_total_vnd: int
    explanation: tuple[str, ...]
    possible: tuple[Item, ...]  # would change the answer; depend on facts still open
    care_support: tuple[Item, ...]
    care_total_vnd: int
    one_time: tuple[Item, ...]
    next_question: Question | None
    undecided: tuple[Undecided, ...]
    where_to_apply: tuple[Procedure, ...]
    notes: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.next_question is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, amounts as integers."""

        def plain(value: Any) -> Any:
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, (list, tuple)):
                return [plain(item) for item in value]
            if hasattr(value, "__dataclass_fields__"):
                return {item.name: plain(getattr(value, item.name)) for item in fields(value)}
            return value

        body = plain(self)
        body["complete"] = self.complete
        return body


# --- the rules file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    data: dict[str, Any]
    questions: tuple[dict[str, Any], ...]
    by_fact: dict[str, dict[str, Any]]
    types: dict[str, str]
    values: dict[str, set[str]]


@lru_cache(maxsize=1)
def _spec() -> _Spec:
    data = load_yaml("eligibility.yaml")
    rules = load_rules()
    questions = tuple(data["questions"])
    by_fact = {q["fact"]: q for q in questions}
    types = {q["fact"]: q["type"] for q in questions} | {"birth_year": "year"}
    values: dict[str, set[str]] = {}
    for q in questions:
        if q.get("options_from") == "merit":
            q["options"] = [{"value": key, "label": rules.benefits[key]["name"]} for key in data["merit"]["categories"]]
        if q["type"] == "choice":
            values[q["fact"]] = {option["value"] for option in q["options"]}
    declared = {item.name for item in fields(Facts)}
    if set(types) != declared:
        raise ValueError(f"eligibility.yaml questions and Facts differ: {sorted(set(types) ^ declared)}")
    for row in data["monthly"] + data["care"] + data["one_time"]:
        if row.get("amount", "") is not None and row["key"] not in rules.benefits:
            raise ValueError(f"eligibility.yaml names unknown benefit {row['key']}")
    return _Spec(data=data, questions=questions, by_fact=by_fact, types=types, values=values)


# --- three-valued conditions ---------------------------------------------------------------------

Truth = bool | None  # None = open: depends on a fact not asked yet or not known
Result = tuple[Truth, frozenset[str]]  # with the open facts it depends on


def _all_of(results: list[Result]) -> Result:
    if any(state is False for state, _ in results):
        return False, frozenset()
    open_ = [facts for state, facts in results if state is None]
    return (None, frozenset().union(*open_)) if open_ else (True, frozenset())


def _any_of(results: list[Result]) -> Result:
    if any(state is True for state, _ in results):
        return True, frozenset()
    open_ = [facts for state, facts in results if state is None]
    return (None, frozenset().union(*open_)) if open_ else (False, frozenset())


def _compare(value: Any, want: Any) -> bool:
    if isinstance(want, list):
        return value in want
    if isinstance(want, dict):
        return (
            value >= want.get("min", value) and value < want.get("below", value + 1) and value <= want.get("max", value)
        )
    return value == want


@dataclass
class _Row:
    key: str
    group: str
    kind: str
    spec: dict[str, Any]
    state: Truth
    open_facts: frozenset[str]
    item: Item | None = None


@dataclass
class _Run:
    """One evaluation: the facts, the day, and the rows' states."""

    facts: Facts
    on: date
    local_standard_vnd: int
    rules: Rules = field(init=False)
    spec: _Spec = field(init=False)
    age_range: tuple[int, int] | None = field(init=False)
    age_fact: str = field(init=False)

    def __post_init__(self) -> None:
        self.rules = load_rules()
        self.spec = _spec()
        self.age_range, self.age_fact = self._age()

    # Facts ---------------------------------------------------------------------------------------

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
            if self.age_range is not None or isinstance(self.facts.birth_year, int):
                return "answered"
            return "unknown" if UNKNOWN in (self.facts.age, self.facts.birth_year) else "open"
        value = getattr(self.facts, fact)
        return "open" if value is None else ("unknown" if value == UNKNOWN else "answered")

    def value(self, fact: str) -> Any:
        for rule in self.spec.data.get("implies", []):
            if fact in rule["then"] and self.condition(rule["if"])[0] is True:
                return rule["then"][fact]
        value = getattr(self.facts, fact)
        return _OPEN if value is None else value

    def _asked(self, fact: str) -> bool:
        """Whether an unset fact counts as open (to be asked) rather than "no"."""
        question = self.spec.by_fact[fact]
        if question.get("ask") == "on_request":
            return False
        return "ask_if" not in question or self.condition(question["ask_if"])[0] is True

    def _age_test(self, want: Mapping[str, int]) -> Result:
        if self.age_range is None:
            return None, frozenset({self.age_fact})
        low, high = self.age_range
        if _compare(low, want) and _compare(high, want):
            return True, frozenset()
        if not _compare(low, want) and not _compare(high, want):
            return False, frozenset()
        return None, frozenset({self.age_fact})

    def condition(self, cond: Mapping[str, Any], paid: frozenset[str] = frozenset()) -> Result:
        results: list[Result] = []
        for name, want in cond.items():
            if name == "any":
                results.append(_any_of([self.condition(part, paid) for part in want]))
            elif name == "all":
                results.append(_all_of([self.condition(part, paid) for part in want]))
            elif name == "receives":
                results.append((bool(paid & set(want)), frozenset()))
            elif name == "age":
                results.append(self._age_test(want))
            else:
                value = self.value(name)
                if value is _OPEN:
                    results.append((None, frozenset({name})) if self._asked(name) else (False, frozenset()))
                elif value == UNKNOWN:
                    results.append((None, frozenset({name})))
                else:
                    results.append((_compare(value, want), frozenset()))
        return _all_of(results)

    # Rows ----------------------------------------------------------------------------------------

    def _in_force(self, row: Mapping[str, Any]) -> bool:
        return row.get("from", date.min) <= self.on <= (row.get("to") or date.max)

    def _count(self, row: Mapping[str, Any]) -> int:
        if "count" not in row:
            return 1
        value = getattr(self.facts, row["count"])
        return value if isinstance(value, int) and value > 0 else 1

    def _item(self, row: Mapping[str, Any], group: str, kind: str, cases: tuple[Mapping[str, Any], ...] = ()) -> Item:
        key = row["key"]
        benefit_row = self.rules.benefits.get(key, {})
        amount: BenefitAmount | None
        try:
            amount = self.rules.amount(key, self.on, self.local_standard_vnd) if benefit_row else None
        except UnknownBenefit:
            amount = None  # no figure for that period in DOMAIN.md (some người có công rows)
        form = row.get("form") or benefit_row.get("form", "")
        form_spec = self.spec.data["forms"].get(form, {})
        count = self._count(row)
        unit = amount.amount_vnd if amount else None
        status = row.get("status") or benefit_row.get("status", "confirmed")
        starts = self.spec.data["starts"].get(row.get("starts", ""), "")
        notes = [case["note"] for case in cases if case.get("note")]
        if benefit_row and unit is None:
            notes.append(self.spec.data["notes"]["no_amount"])
        return Item(
            key=key,
            group=group,
            kind=kind,
            name=row.get("name") or benefit_row.get("name", key),
            program=row.get("program") or benefit_row.get("program", "BTXH"),
            amount_vnd=None if unit is None else unit * count,
            unit_amount_vnd=unit,
            count=count,
            coefficient=benefit_row.get("coefficient"),
            minimum=bool(benefit_row.get("minimum", False)),
            citation="; ".join(case["citation"] for case in cases)
            or row.get("citation")
            or benefit_row.get("citation", ""),
            form=form,
            form_name=form_spec.get("name", ""),
            papers=tuple(form_spec.get("papers", [])) + tuple(p for case in cases for p in case.get("papers", [])),
            confirmed=status == "confirmed" and unit is not None,
            starts=starts,
            note=" ".join(notes),
            procedure=row["procedure"],
        )

    def monthly_rows(self) -> list[_Row]:
        data = self.spec.data
        rows = [_Row(r["key"], r["group"], "monthly", r, *self._state(r)) for r in data["monthly"]]
        merit = data["merit"]
        for key in merit["categories"]:
            spec = {"key": key, "procedure": merit["procedure"], "when": {"merit_category": key}}
            rows.append(_Row(key, merit["group"], "monthly", spec, *self._state(spec)))
        states = {row.key: row.state for row in rows}
        for row in rows:
            if row.state is not False and any(states.get(other) is True for other in row.spec.get("unless", [])):
                row.state, row.open_facts = False, frozenset()  # the group text excludes people in that group
        for row in rows:
            if row.state is not False:
                row.item = self._item(row.spec, row.group, "monthly")
        return rows

    def care_rows(self) -> list[_Row]:
        rows = [_Row(r["key"], "care", "care", r, *self._state(r)) for r in self.spec.data["care"]]
        for row in rows:
            if row.state is not False:
                row.item = self._item(row.spec, "care", "care")
        return rows

    def _state(self, row: Mapping[str, Any]) -> Result:
        if not self._in_force(row):
            return False, frozenset()
        return self.condition(row["when"])

    def one_time_items(self, paid: list[Item]) -> list[Item]:
        received = frozenset(item.program for item in paid) | frozenset(item.group for item in paid)
        found = []
        for row in self.spec.data["one_time"]:
            if not self._in_force(row):
                continue
            cases = tuple(case for case in row["cases"] if self.condition(case["when"], received)[0] is True)
            if cases:
                found.append(self._item(row, "funeral", "one_time", cases))
        return found

    # Overlap -------------------------------------------------------------------------------------

    def packages(self, items: list[Item]) -> list[list[Item]]:
        """What may be paid together: one benefit alone, or k4 plus one of k5/k6/k8 (khoản 2 Điều 6)."""
        rule = self.spec.data["overlap"]["in_addition"]
        found = [[item] for item in items]
        for extra in (item for item in items if item.group == rule["group"]):
            found += [[extra, other] for other in items if other.group in rule["with"]]
        return found

    def best(self, items: list[Item]) -> list[Item]:
        """The package paid: the highest total; on a tie, the confirmed benefit, then the data order."""
        packages = self.packages(items)
        if not packages:
            return []
        return max(
            packages,
            key=lambda p: (sum(i.amount_vnd or 0 for i in p), all(i.confirmed for i in p), -items.index(p[0])),
        )

    def total(self, items: list[Item]) -> int:
        return sum(item.amount_vnd or 0 for item in self.best(items))


# --- evaluation ----------------------------------------------------------------------------------


def _matters(run: _Run, certain: list[Item], row: _Row) -> bool:
    """Would this open benefit change what is paid? (Care support always adds.)"""
    if row.kind == "care":
        return True
    return row.item is not None and run.total([*certain, row.item]) > run.total(certain)


@dataclass
class _Core:
    run: _Run
    certain: list[Item]
    paid: list[Item]
    open_rows: list[_Row]
    care: list[Item]


def _core(facts: Facts, on: date, local_standard_vnd: int) -> _Core:
    run = _Run(facts, on, local_standard_vnd)
    rows = run.monthly_rows()
    certain = [row.item for row in rows if row.state is True and row.item]
    care_rows = run.care_rows()
    care = [row.item for row in care_rows if row.state is True and row.item]
    open_rows = [row for row in rows + care_rows if row.state is None and _matters(run, certain, row)]
    return _Core(run, certain, run.best(certain), open_rows, care)


def _outcome(core: _Core) -> str:
    monthly = sum(item.amount_vnd or 0 for item in core.paid)
    care = sum(item.amount_vnd or 0 for item in core.care)
    if not monthly and not care:
        return "chưa rõ, còn tùy các câu trả lời khác" if core.open_rows else "không thuộc diện trợ cấp hằng tháng"
    text = f"{money(monthly)}/tháng" if monthly else ""
    if care:
        text += (" và " if text else "") + f"hỗ trợ chăm sóc {money(care)}/tháng"
    return ("ít nhất " if core.open_rows else "được ") + text


def _branches(facts: Facts, fact: str, run: _Run) -> list[tuple[str, Facts]]:
    """The alternatives a "không biết" answer leaves open, as (phrase, facts with that answer)."""
    question = run.spec.by_fact[fact]
    if fact == "birth_month" and run.age_range:
        low, high = run.age_range
        labels = question["branches"]
        return [(labels["reached"], replace(facts, age=high)), (labels["not_reached"], replace(facts, age=low))]
    options = run.spec.data["bool_options"] if question["type"] == "bool" else question.get("options", [])
    return [
        (option.get("branch") or option["label"].lower(), replace(facts, **{fact: option["value"]}))
        for option in options
    ]


def _age_ranges(run: _Run) -> list[tuple[int, int | None]]:
    """The age bands the monthly rows distinguish, from their own thresholds."""
    bounds: set[int] = {0}

    def collect(cond: Any) -> None:
        if isinstance(cond, dict):
            for name, want in cond.items():
                if name == "age":
                    bounds.update(value + (1 if kind == "max" else 0) for kind, value in want.items())
                else:
                    collect(want)
        elif isinstance(cond, list):
            for part in cond:
                collect(part)

    collect([row["when"] for row in run.spec.data["monthly"]])
    edges = sorted(bounds)
    return [(low, edges[i + 1] - 1 if i + 1 < len(edges) else None) for i, low in enumerate(edges)]


def _age_label(low: int, high: int | None) -> str:
    if high is None:
        return f"từ đủ {low} tuổi"
    if low == 0:
        return f"dưới {high + 1} tuổi"
    return f"{low} tuổi" if low == high else f"từ {low} đến {high} tuổi"


def _explain_unknown(facts: Facts, fact: str, core: _Core, on: date, local: int) -> str:
    """The hint of a "không biết" answer and what each possible answer would give."""
    run = core.run
    question = run.spec.by_fact[fact]
    hint = question.get("unknown_hint", "")
    if question["type"] == "count":
        row = next(r for r in core.open_rows if fact in r.open_facts)
        unit = row.item.unit_amount_vnd if row.item and row.item.unit_amount_vnd else 0
        return hint.format(unit=money(unit))
    pairs: list[tuple[str, str]] = []
    if fact == "age":
        bands: list[tuple[int, int | None, str]] = []
        for low, high in _age_ranges(run):
            outcome = _outcome(_core(replace(facts, age=low, birth_year=None, birth_month=None), on, local))
            if bands and bands[-1][2] == outcome:
                bands[-1] = (bands[-1][0], high, outcome)  # neighbouring bands with the same answer read as one
            else:
                bands.append((low, high, outcome))
        pairs = [(_age_label(low, high), outcome) for low, high, outcome in bands]
    else:
        pairs = [
            (phrase, _outcome(_core(alternative, on, local))) for phrase, alternative in _branches(facts, fact, run)
        ]
    groups: dict[str, list[str]] = {}
    for phrase, outcome in pairs:
        groups.setdefault(outcome, []).append(phrase)
    if len(groups) < 2:
        return hint
    text = "; ".join(f"nếu {' hoặc '.join(phrases)} thì {outcome}" for outcome, phrases in groups.items())
    return f"{hint} {text[0].upper()}{text[1:]}.".strip()


def _question(run: _Run, fact: str) -> Question:
    spec = run.spec
    question = spec.by_fact[fact]
    if question["type"] == "bool":
        options = spec.data["bool_options"]
    else:
        options = question.get("options", [])
    text = question["text"]
    if "{social_pension}" in text:
        text = text.format(social_pension=money(run.rules.amount("htxh", run.on).amount_vnd))
    unknown = spec.data["unknown_option"]
    return Question(
        fact=fact,
        type=question["type"],
        text=text,
        options=tuple(Option(o["value"], o["label"]) for o in [*options, unknown]),
    )


def _row_spec(run: _Run, key: str) -> dict[str, Any]:
    data = run.spec.data
    return next((row for row in data["monthly"] + data["care"] + data["one_time"] if row["key"] == key), {})


def _explanation(run: _Run, certain: list[Item], paid: list[Item], care: list[Item], standard: int) -> list[str]:
    overlap = run.spec.data["overlap"]
    lines = []
    for item in paid:
        how = ""
        if item.coefficient:
            coefficient = f"{item.coefficient:g}".replace(".", ",")  # Vietnamese decimal comma: "2,5"
            how = f" ({coefficient} × mức chuẩn {money(standard)})"
        if item.count > 1 or "count" in _row_spec(run, item.key):
            amount = f"{money(item.unit_amount_vnd or 0)} × {item.count} = {money(item.amount_vnd or 0)}/tháng"
        else:
            amount = f"{money(item.amount_vnd or 0)}/tháng"
        lines.append(f"{item.name}: {amount}{how}.")
    if len(paid) == 2:
        extra, own = paid
        lines.append(
            overlap["in_addition"]["text"].format(
                other=own.name[0].lower() + own.name[1:],
                amount=money(extra.amount_vnd or 0),
                other_amount=money(own.amount_vnd or 0),
            )
        )
    elif len(certain) > 1 and paid:
        chosen = paid[0]
        higher = overlap["higher_of"]
        rivals = [i for i in certain if i.program in higher["against"]]
        social_pension = [i for i in certain if i.program == higher["program"]]
        if len([i for i in certain if i.program != higher["program"]]) > 1 or not rivals:
            lines.append(overlap["highest_only"]["text"].format(name=chosen.name, amount=money(chosen.amount_vnd or 0)))
        if social_pension and rivals:
            pension = social_pension[0].amount_vnd or 0
            other = run.total(rivals)
            lines.append(higher["text"].format(amount=money(pension), other_amount=money(other)))
            if pension == other:
                lines.append(higher["equal_text"].format(amount=money(pension)))
    if care:
        lines.append(overlap["care_separate"])
    return lines


def evaluate(facts: Facts, on: date, local_standard_vnd: int = 0) -> Evaluation:
    """The benefits `facts` lead to on day `on`, and what to ask next.

    `local_standard_vnd` is a province's higher mức chuẩn (k3 Điều 4 NĐ 20/2021 as amended by
    NĐ 76/2024); it never lowers the national one. Raises UnknownBenefit for a day before the
    rules were in force (01/7/2021), FactError for values outside the rules' value sets.
    """
    facts.check()
    core = _core(facts, on, local_standard_vnd)
    run, certain, paid = core.run, core.certain, core.paid
    national = run.rules.standard_on("social_assistance", on).amount
    standard = max(national, local_standard_vnd)
    paid_keys = {item.key for item in paid}
    benefits = [replace(item, paid=item.key in paid_keys) for item in certain]
    possible = [replace(row.item, depends_on=tuple(sorted(row.open_facts))) for row in core.open_rows if row.item]
    one_time = run.one_time_items(paid)

    waiting = frozenset().union(*(row.open_facts for row in core.open_rows)) if core.open_rows else frozenset()
    in_order = [q["fact"] for q in run.spec.questions if q["fact"] in waiting]
    next_fact = next((fact for fact in in_order if run.status(fact) == "open"), None)
    undecided = [
        Undecided(fact, _explain_unknown(facts, fact, core, on, local_standard_vnd))
        for fact in in_order
        if run.status(fact) == "unknown"
    ]

    explanation = _explanation(run, certain, paid, core.care, standard)
    if not paid and not core.care and not core.open_rows:
        explanation.append("Theo các thông tin đã trả lời, người này chưa thuộc diện hưởng trợ cấp hằng tháng.")

    procedures = run.spec.data["procedures"]
    shown = [*sorted(benefits, key=lambda i: not i.paid), *possible, *core.care, *one_time]
    wanted = dict.fromkeys(item.procedure for item in shown)
    where = tuple(
        Procedure(procedures[key]["text"], procedures[key]["citation"], procedures[key]["status"] == "confirmed")
        for key in wanted
    )

    notes = _notes(run, benefits, shown, standard, national)
    return Evaluation(
        on=on,
        standard_vnd=standard,
        benefits=tuple(benefits),
        monthly_total_vnd=sum(item.amount_vnd or 0 for item in paid),
        explanation=tuple(explanation),
        possible=tuple(possible),
        care_support=tuple(core.care),
        care_total_vnd=sum(item.amount_vnd or 0 for item in core.care),
        one_time=tuple(one_time),
        next_question=_question(run, next_fact) if next_fact else None,
        undecided=tuple(undecided),
        where_to_apply=where,
        notes=tuple(notes),
    )


def _notes(run: _Run, benefits: list[Item], shown: list[Item], standard: int, national: int) -> list[str]:
    texts = run.spec.data["notes"]
    notes = []
    if standard > national:
        notes.append(texts["local_standard"].format(standard=money(standard), national=money(national)))
    groups = {item.group for item in benefits}
    if "htxh" in groups and groups & {"k5b", "k5c"}:
        notes.append(texts["htxh_and_k5"])
    if any(not item.confirmed for item in shown):
        notes.append(texts["secondary"])
    if any(item.kind == "care" and item.key.startswith("care_k2a") for item in shown):
        notes.append(run.spec.data["care_note"])
    return notes
