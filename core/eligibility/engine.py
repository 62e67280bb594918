"""Who gets what on a day: the rows of eligibility.yaml evaluated on the facts, then combined.

Each benefit row is true, false or open (conditions.py). The certain benefits are combined by the
rules of `combine` (highest of the trợ cấp xã hội levels; the higher of trợ cấp xã hội and hưu trí
xã hội; người có công amounts added), each combination stated with its article. An amount that is
not known (a rate not told, a figure the law's copies do not give) is shown as unknown and never
takes part in a "highest of" comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any

from core.eligibility.conditions import FALSE, OPEN, TRUE, Context, Result, Truth, all_of, negate
from core.eligibility.facts import UNKNOWN, Facts
from core.eligibility.spec import Spec, spec
from core.formatting import money
from core.rules import BenefitAmount, UnknownBenefit


@dataclass(frozen=True)
class Option:
    value: Any
    label: str


@dataclass(frozen=True)
class Question:
    """The next thing to ask: the fact's name (the slot to fill), its type, a Vietnamese text, its answers."""

    fact: str
    type: str
    text: str
    options: tuple[Option, ...]
    sensitive: bool = False


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
    """One benefit line. `amount_vnd` = unit × count (trợ cấp + phụ cấp), None when the amount is not known."""

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
    standard_vnd: int | None = None
    parts: tuple[tuple[str, int], ...] = ()
    rate: int | None = None
    per_child: bool = False
    paid: bool = False
    later: bool = False  # a one-time payment made when the person dies
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class HealthCard:
    """The health insurance card that comes with the allowances (one card, the highest benefit)."""

    text: str
    citation: str
    confirmed: bool


@dataclass(frozen=True)
class Evaluation:
    on: date
    standard_vnd: int
    merit_standard_vnd: int
    benefits: tuple[Item, ...]  # monthly benefits the person qualifies for; `paid` marks those paid after combining
    monthly_total_vnd: int
    explanation: tuple[str, ...]  # a line per benefit, then the rules that combined them
    possible: tuple[Item, ...]  # would change the answer; depend on facts still open
    care_support: tuple[Item, ...]
    care_total_vnd: int
    one_time: tuple[Item, ...]  # for a person who has died: the funeral support; else what is paid at death
    next_question: Question | None
    undecided: tuple[Undecided, ...]
    where_to_apply: tuple[Procedure, ...]
    notes: tuple[str, ...]
    health_insurance: HealthCard | None = None
    deceased: bool = False
    unknown_amounts: tuple[Item, ...] = ()  # qualifies, amount not known: never counted as 0
    hedged: bool = False  # something in the answer is not confirmed ("chưa chắc chắn")
    questions_left: int = 0
    rules_applied: tuple[str, ...] = ()  # how the benefits combine or are excluded, each with its article
    excluded: tuple[tuple[str, str], ...] = ()  # (benefit group, citation): met by its own text, excluded by another

    @property
    def complete(self) -> bool:
        return self.next_question is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, amounts as integers."""
        body = _plain(self)
        body["complete"] = self.complete
        return body


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    return value


@dataclass
class Row:
    key: str
    group: str
    kind: str
    spec: dict[str, Any]
    state: Truth
    open_facts: frozenset[str]
    item: Item | None = None


@dataclass
class Run:
    """One evaluation: the facts on a day, the rows' states and the combined answer."""

    facts: Facts
    on: date
    local_standard_vnd: int
    rules: Spec = field(init=False)
    ctx: Context = field(init=False)
    rows: list[Row] = field(init=False)
    certain: list[Item] = field(init=False)
    paid: list[Item] = field(init=False)
    care: list[Item] = field(init=False)

    def __post_init__(self) -> None:
        self.rules = spec()
        self.ctx = Context(self.facts, self.on, self.rules)
        self._excluded: dict[int, Result] = {}
        self._one_time: list[Item] | None = None
        self.rows = self._rows()
        self.certain = self._merge_parts([r for r in self.rows if r.state is True and r.item and r.kind == "monthly"])
        self.paid = self.combine(self.certain)
        care: dict[str, Item] = {}
        for row in self.rows:
            if row.state is True and row.item and row.kind == "care":
                care.setdefault(row.key, row.item)
        self.care = list(care.values())

    # Rows ----------------------------------------------------------------------------------------

    def _merge_parts(self, rows: list[Row]) -> list[Item]:
        """A phụ cấp (`part_of`) is shown inside its trợ cấp: "7.240.000 ₫ trợ cấp + 1.399.000 ₫ phụ cấp"."""
        items = {row.key: row.item for row in rows if row.item}
        for row in rows:
            main = next((key for key in row.spec.get("part_of", []) if key in items), None)
            part = items.get(row.key)
            if main is None or part is None or items[main].amount_vnd is None or part.amount_vnd is None:
                continue
            host = items[main]
            label = "phụ cấp đặc biệt" if "special" in row.key else "phụ cấp"
            parts = host.parts or (("trợ cấp", host.amount_vnd or 0),)
            items[main] = replace(
                host,
                amount_vnd=(host.amount_vnd or 0) + part.amount_vnd,
                unit_amount_vnd=(host.amount_vnd or 0) + part.amount_vnd,
                parts=(*parts, (label, part.amount_vnd)),
                citation=f"{host.citation}; {part.citation}",
            )
            del items[row.key]
        return list(items.values())

    def _in_force(self, row: dict[str, Any]) -> bool:
        return row.get("from", date.min) <= self.on <= (row.get("to") or date.max)

    def _state(self, row: dict[str, Any], group: str) -> Result:
        if not self._in_force(row):
            return FALSE
        parts = [self.ctx.condition(row["when"]), self._rate_state(row)]
        for index, exclusion in enumerate(self.rules.data["exclusions"]):
            if group in exclusion["groups"]:
                if index not in self._excluded:
                    self._excluded[index] = negate(self.ctx.condition(exclusion["when"]))
                parts.append(self._excluded[index])
        return all_of(parts)

    def _rate_state(self, row: dict[str, Any]) -> Result:
        """A table benefit needs its tỷ lệ tổn thương: open until told; "không biết" keeps it with an unknown amount."""
        if "rate" not in row:
            return TRUE
        value = self.ctx.value(row["rate"])
        if value is OPEN:
            return None, frozenset({row["rate"]})
        if value == UNKNOWN:
            return TRUE
        return TRUE if value >= row.get("rate_min", 0) else FALSE

    def _rows(self) -> list[Row]:
        data = self.rules.data
        rows = [Row(r["key"], r["group"], "monthly", r, *self._state(r, r["group"])) for r in data["monthly"]]
        rows += [Row(r["key"], "ncc", "monthly", r, *self._state(r, "ncc")) for r in data["merit"]]
        rows += [Row(r["key"], "care", "care", r, *self._state(r, "care")) for r in data["care"]]
        states = {row.key: row.state for row in rows}
        for row in rows:
            if row.state is not False and any(states.get(other) is True for other in row.spec.get("unless", [])):
                row.state, row.open_facts = False, frozenset()  # the group text excludes people in that group
        for row in rows:
            if row.state is not False:
                row.item = self.item(row.spec, row.group, row.kind)
        return rows

    def _count(self, row: dict[str, Any]) -> int:
        if "count" not in row:
            return 1
        value = getattr(self.facts, row["count"])
        return value if isinstance(value, int) and value > 0 else 1

    def amount(self, key: str, rate: int | None = None) -> BenefitAmount | None:
        try:
            return self.rules.rules.amount(key, self.on, self.local_standard_vnd, rate)
        except UnknownBenefit:
            return None

    def item(self, row: dict[str, Any], group: str, kind: str, cases: tuple[dict[str, Any], ...] = ()) -> Item:
        key = row["key"]
        benefit = self.rules.rules.benefits[key]
        rate = getattr(self.facts, row["rate"]) if "rate" in row else None
        amount = self.amount(key, rate if isinstance(rate, int) else None)
        form = row.get("form") or benefit.get("form", "")
        form_spec = self.rules.data["forms"].get(form, {})
        count = self._count(row)
        unit = amount.amount_vnd if amount else None
        notes = [amount.note] if amount and amount.note else []
        return Item(
            key=key,
            group=group,
            kind=kind,
            name=benefit["name"],
            program=benefit.get("program", "BTXH"),
            amount_vnd=None if unit is None else unit * count,
            unit_amount_vnd=unit,
            count=count,
            coefficient=benefit.get("coefficient"),
            minimum=bool(benefit.get("minimum", False)),
            citation="; ".join(dict.fromkeys(c["citation"] for c in cases))
            or (amount.citation if amount else "")
            or benefit.get("citation", ""),
            form=form,
            form_name=form_spec.get("name", ""),
            papers=tuple(form_spec.get("papers", [])) + tuple(p for case in cases for p in case.get("papers", [])),
            confirmed=bool(amount and amount.confirmed),
            starts=self.rules.data["starts"].get(row.get("starts", ""), ""),
            note=" ".join(notes),
            procedure=row.get("procedure") or ("ncc" if group == "ncc" else "btxh"),
            standard_vnd=amount.standard_vnd if amount else None,
            parts=amount.parts if amount else (),
            rate=amount.rate if amount else None,
            per_child=row.get("count") == "children_in_care",
        )

    # Combination ---------------------------------------------------------------------------------

    def _best_btxh(self, items: list[Item]) -> list[Item]:
        """The trợ cấp xã hội paid: the single highest level, or k4 with one of k5/k6/k8 (khoản 2 Điều 6)."""
        rule = self.rules.data["combine"]["within"]["BTXH"]
        packages = [[item] for item in items]
        for extra in (item for item in items if item.group == rule["also"]["group"]):
            packages += [[extra, other] for other in items if other.group in rule["also"]["with"]]
        if not packages:
            return []
        return max(packages, key=lambda p: (sum(i.amount_vnd or 0 for i in p), -items.index(p[0])))

    def combine(self, items: list[Item]) -> list[Item]:
        """What is paid of the certain monthly benefits whose amounts are known."""
        known = [item for item in items if item.amount_vnd is not None]
        by_program: dict[str, list[Item]] = {}
        for item in known:
            by_program.setdefault(item.program, []).append(item)
        packages = {"BTXH": self._best_btxh(by_program.get("BTXH", []))}
        packages["HTXH"] = by_program.get("HTXH", [])[:1]
        packages["NCC"] = by_program.get("NCC", [])  # every người có công allowance adds (khoản 3 Điều 6 Pháp lệnh)
        for rule in self.rules.data["combine"]["between"]:
            if rule["rule"] != "higher_of":
                continue
            first, second = rule["programs"]
            if packages[first] and packages[second]:
                if sum(i.amount_vnd or 0 for i in packages[first]) > sum(i.amount_vnd or 0 for i in packages[second]):
                    packages[second] = []
                else:
                    packages[first] = []  # a tie pays the confirmed trợ cấp xã hội
        return [item for program in ("NCC", "BTXH", "HTXH") for item in packages[program]]

    def total(self, items: list[Item]) -> int:
        return sum(item.amount_vnd or 0 for item in self.combine(items))

    def matters(self, row: Row) -> bool:
        """Would this open benefit change what is paid? (Care support and người có công amounts add.)"""
        if row.item is None:
            return False
        if row.kind == "care":
            return row.key not in {item.key for item in self.care}
        if row.item.amount_vnd is None or row.group == "ncc":
            return True
        return self.total([*self.certain, row.item]) > self.total(self.certain)

    # One-time payments ---------------------------------------------------------------------------

    def one_time(self) -> list[Item]:
        if self._one_time is None:
            self._one_time = self._find_one_time()
        return self._one_time

    def _find_one_time(self) -> list[Item]:
        received = frozenset(i.program for i in self.paid) | frozenset(i.group for i in self.paid)
        found = []
        for row in self.rules.data["one_time"]:
            if not self._in_force(row):
                continue
            cases = tuple(c for c in row["cases"] if self.ctx.condition(c["when"], received)[0] is True)
            if cases:
                item = self.item(row, "funeral", "one_time", cases)
                found.append(replace(item, later=all(c.get("later") for c in cases)))
        known = [item for item in found if item.amount_vnd is not None]
        if len(known) > 1:  # several texts: only the highest funeral support (khoản 2 Điều 11 NĐ 20/2021)
            best = max(known, key=lambda item: item.amount_vnd or 0)
            found = [item for item in found if item.amount_vnd is None or item is best]
        return found


def evaluate(facts: Facts, on: date, local_standard_vnd: int = 0, ask_first: tuple[str, ...] = ()) -> Evaluation:
    """The benefits `facts` lead to on day `on`, and what to ask next.

    `local_standard_vnd` is a province's higher mức chuẩn (k3 Điều 4 NĐ 20/2021 as amended by
    NĐ 76/2024); it never lowers the national one. `ask_first`: facts the person's words make the
    natural next question (a disability named without its level), asked first while they matter.
    Raises UnknownBenefit for a day before the rules were in force (01/7/2021), FactError for values
    outside the rules' value sets.
    """
    from core.eligibility import questions  # the question picker evaluates alternatives with this module

    facts.check()
    run = Run(facts, on, local_standard_vnd)
    national = run.rules.rules.standard_on("social_assistance", on).amount
    standard = max(national, local_standard_vnd)
    merit_standard = run.rules.rules.standard_on("merit", on).amount
    plan = questions.plan(run, ask_first)
    paid_keys = {id(item) for item in run.paid}
    unpaid = [
        replace(item, paid=False) for item in run.certain if item.amount_vnd is not None and id(item) not in paid_keys
    ]
    benefits = [replace(item, paid=True) for item in run.paid] + unpaid  # what is paid first, in the answer's order
    unknown = [item for item in run.certain if item.amount_vnd is None]
    possible = [replace(row.item, depends_on=tuple(sorted(row.open_facts))) for row in plan.open_rows if row.item]
    one_time = run.one_time()
    deceased = run.ctx.value("deceased") is True

    shown = [*benefits, *unknown, *possible, *run.care, *one_time]
    procedures = run.rules.data["procedures"]
    # Where to apply for what is paid (not for a benefit the combination rules left out); else for what may be.
    applied = [*run.paid, *unknown, *run.care, *(item for item in one_time if not item.later)] or possible
    wanted = dict.fromkeys(item.procedure for item in applied)
    where = tuple(
        Procedure(procedures[key]["text"], procedures[key]["citation"], procedures[key]["status"] == "confirmed")
        for key in wanted
    )
    card = _health_card(run)
    explanation = _explanation(run, benefits, unknown, standard)
    rules_applied = _rules_applied(run)
    notes = _notes(run, shown, standard, national)
    hedged = any(not item.confirmed for item in [*benefits, *run.care] if item.paid or item.kind == "care")
    hedged = hedged or any(line.endswith("(chưa chắc chắn)") for line in explanation) or _combined_unconfirmed(run)
    return Evaluation(
        on=on,
        standard_vnd=standard,
        merit_standard_vnd=merit_standard,
        benefits=tuple(benefits),
        monthly_total_vnd=sum(item.amount_vnd or 0 for item in run.paid),
        explanation=tuple(explanation + rules_applied),
        possible=tuple(possible),
        care_support=tuple(run.care),
        care_total_vnd=sum(item.amount_vnd or 0 for item in run.care),
        one_time=tuple(one_time),
        next_question=plan.question,
        undecided=tuple(plan.undecided),
        where_to_apply=where,
        notes=tuple(notes),
        health_insurance=card,
        deceased=deceased,
        unknown_amounts=tuple(unknown),
        hedged=hedged,
        questions_left=plan.left,
        rules_applied=tuple(rules_applied),
        excluded=_excluded(run),
    )


def _excluded(run: Run) -> tuple[tuple[str, str], ...]:
    """The monthly benefits whose own text the facts meet but an exclusion rule takes away (Điều 51
    Luật Người khuyết tật for a pensioner), with the exclusion's citation: the answer says so first."""
    found: dict[str, str] = {}
    for exclusion in run.rules.data["exclusions"]:
        if not exclusion["text"] or run.ctx.condition(exclusion["when"])[0] is not True:
            continue
        for row in run.rules.data["monthly"]:
            if row["group"] in exclusion["groups"] and run._in_force(row):
                if run.ctx.condition(row["when"])[0] is True:
                    found.setdefault(row["group"], exclusion["citation"])
    return tuple(found.items())


def _combined_unconfirmed(run: Run) -> bool:
    """Whether an unconfirmed combination rule decided what is paid (e.g. người có công + hưu trí xã hội)."""
    programs = {item.program for item in run.paid}
    return any(
        rule["status"] != "confirmed" and rule["rule"] == "add" and set(rule["programs"]) <= programs
        for rule in run.rules.data["combine"]["between"]
    )


def _health_card(run: Run) -> HealthCard | None:
    if not run.paid:
        return None
    data = run.rules.data
    groups = {item.group for item in run.paid}
    programs = {item.program for item in run.paid}
    for rule in data["health_insurance"]:
        if groups & set(rule.get("groups", [])) or programs & set(rule.get("programs", [])):
            text = data["health_insurance_text"].format(citation=rule["citation"])
            return HealthCard(text, rule["citation"], rule["status"] == "confirmed")
    return None


def _how(item: Item) -> str:
    """How an amount is reached, with the text it comes from."""
    if item.coefficient is not None and item.standard_vnd:
        coefficient = f"{item.coefficient:g}".replace(".", ",")  # Vietnamese decimal comma: "2,5"
        return f"hệ số {coefficient} × mức chuẩn {money(item.standard_vnd)}, {item.citation}"
    if item.parts:
        parts = " + ".join(f"{label} {money(amount)}" for label, amount in item.parts)
        return f"{parts}, {item.citation}"
    return item.citation


def _explanation(run: Run, benefits: list[Item], unknown: list[Item], standard: int) -> list[str]:
    """A line per benefit: its amount and how it is reached, with the text it comes from."""
    lines = []
    for item in [i for i in benefits if i.paid] + unknown:
        if item.amount_vnd is None:
            lines.append(f"{item.name}: chưa xác định được mức ({item.citation}).")
            continue
        amount = f"{money(item.amount_vnd)}/tháng"
        if item.count > 1 or item.per_child:
            amount = f"{money(item.unit_amount_vnd or 0)} × {item.count} = {amount}"
        rate = f" {item.rate}%" if item.rate else ""
        hedge = "" if item.confirmed else " (chưa chắc chắn)"
        lines.append(f"{item.name}{rate}: {amount} ({_how(item)}){hedge}.")
    return lines


def _rules_applied(run: Run) -> list[str]:
    """The combination and exclusion rules that shaped this answer, each with its article."""
    data = run.rules.data
    combine = data["combine"]
    lines = []
    btxh = [i for i in run.certain if i.program == "BTXH" and i.amount_vnd is not None]
    paid_btxh = [i for i in run.paid if i.program == "BTXH"]
    if len(paid_btxh) == 2:
        lines.append(combine["within"]["BTXH"]["also_text"])
    elif len(btxh) > 1 and paid_btxh:
        lines.append(combine["within"]["BTXH"]["text"].format(name=paid_btxh[0].name))
    certain = {i.program: sum(x.amount_vnd or 0 for x in run.certain if x.program == i.program) for i in run.certain}
    paid = {i.program for i in run.paid}
    for rule in combine["between"]:
        first, second = rule["programs"]
        if rule["rule"] == "higher_of" and first in certain and second in certain:
            lines.append(rule["text"])
        elif rule["rule"] == "add" and first in paid and second in paid:
            lines.append(rule["text"])
    if len([i for i in run.paid if i.program == "NCC"]) > 1:
        lines.append(combine["within"]["NCC"]["text"])
    for exclusion in data["exclusions"]:
        if exclusion["text"] and _exclusion_mattered(run, exclusion):
            lines.append(exclusion["text"])
    if run.care:
        lines.append(combine["care_separate"])
    return lines


def _exclusion_mattered(run: Run, exclusion: dict[str, Any]) -> bool:
    """An exclusion is worth saying when it holds and a row it excludes would otherwise hold."""
    if run.ctx.condition(exclusion["when"])[0] is not True:
        return False
    for row in run.rules.data["monthly"]:
        if row["group"] in exclusion["groups"] and run.ctx.condition(row["when"])[0] is True:
            return True
    return False


def _notes(run: Run, shown: list[Item], standard: int, national: int) -> list[str]:
    data = run.rules.data
    notes = []
    if standard > national:
        notes.append(data["local_standard_note"].format(standard=money(standard), national=money(national)))
    groups = {item.group for item in shown if not item.later}
    keys = {item.key for item in shown}
    for note in data["notes"]:
        if set(note.get("if_groups", [])) - groups:
            continue
        if note.get("if_any_group") and not groups & set(note["if_any_group"]):
            continue
        if note.get("if_keys") and not keys & set(note["if_keys"]):
            continue
        notes.append(note["text"])
    if any(not item.confirmed for item in shown if not item.later) or _combined_unconfirmed(run):
        notes.append(data["secondary_note"])
    return notes


# --- a stretch of time: the amounts change on known days ------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A stretch of days on which the answer is the same."""

    start: date
    end: date
    monthly_total_vnd: int
    care_total_vnd: int
    benefits: tuple[tuple[str, int | None], ...]


def evaluate_range(
    facts: Facts, start: date, end: date, local_standard_vnd: int = 0, ask_first: tuple[str, ...] = ()
) -> tuple[Evaluation, tuple[Segment, ...]]:
    """The answer for every stretch of [start, end] with its own amounts, and the evaluation of the last one.

    A question is asked if any stretch still depends on it ("năm 2023" covers both sides of 01/7/2023).
    """
    days = [start] + [day for day in spec().rules.change_days() if start < day <= end]
    segments: list[Segment] = []
    evaluations = []
    for index, day in enumerate(days):
        last = days[index + 1] - timedelta(days=1) if index + 1 < len(days) else end
        result = evaluate(facts, day, local_standard_vnd, ask_first)
        evaluations.append(result)
        lines = tuple((item.key, item.amount_vnd) for item in result.benefits if item.paid)
        if segments and (segments[-1].monthly_total_vnd, segments[-1].care_total_vnd, segments[-1].benefits) == (
            result.monthly_total_vnd,
            result.care_total_vnd,
            lines,
        ):
            segments[-1] = replace(segments[-1], end=last)
        else:
            segments.append(Segment(day, last, result.monthly_total_vnd, result.care_total_vnd, lines))
    main = evaluations[-1]
    if main.next_question is None:
        pending = next((e for e in evaluations if e.next_question is not None), None)
        if pending is not None:
            main = replace(main, next_question=pending.next_question, questions_left=pending.questions_left)
    return main, tuple(segments)
