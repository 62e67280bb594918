"""Which question to ask next: only one whose answers can change the result, the one that splits best.

A fact is a candidate when it is open, may be put to this person (`ask_if`, age pruning), and some
benefit that would change what is paid depends on it. Among candidates the one whose answers leave
the fewest questions on average wins (then the one with the most different outcomes, then the order
of eligibility.yaml). A sensitive fact (HIV) is asked only when nothing else decides: no other
question is left and nothing is paid yet; until it is answered the facts of its benefit are not asked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from statistics import mean
from typing import Any

from core.eligibility.engine import Option, Question, Row, Run, Undecided
from core.eligibility.facts import Facts
from core.eligibility.spec import spec
from core.formatting import money
from core.rules import loaded_once

_HTXH_START = date(2025, 7, 1)  # the social pension's first day (NĐ 176/2025), quoted in questions asked earlier
REPRESENTATIVES: dict[str, list[Any]] = {"bool": [True, False], "count": [0, 1, 2, 3], "rate": [21, 41, 61, 81]}


@dataclass
class Plan:
    question: Question | None
    open_rows: list[Row]
    undecided: list[Undecided]
    left: int  # questions that could still be asked


def _funeral_rows(run: Run) -> list[Row]:
    """For a person who has died: the funeral supports still open."""
    if run.ctx.value("deceased") is not True:
        return []
    settled = [item for item in run.one_time() if not item.later]
    best = max((item.amount_vnd or 0 for item in settled), default=-1)
    rows = []
    for row in run.rules.data["one_time"]:
        results = [run.ctx.condition(case["when"]) for case in row["cases"] if not case.get("later")]
        if not results or any(state is True for state, _ in results):
            continue
        waiting = frozenset().union(*(facts for state, facts in results if state is None))
        if not waiting:
            continue
        item = run.item(row, "funeral", "one_time", tuple(row["cases"][:1]))
        if settled and (item.amount_vnd is None or item.amount_vnd <= best):
            continue
        rows.append(Row(row["key"], "funeral", "one_time", row, None, waiting, item))
    return rows


def _askable(run: Run, fact: str) -> bool:
    status_fact = run.ctx.age_fact if fact == "age" else fact
    return run.ctx.status(status_fact) == "open" and run.ctx.askable(status_fact)[0] is True


def _candidates(run: Run) -> tuple[set[str], set[str], list[Row], list[Row]]:
    """(plain candidates, sensitive candidates, rows that matter, rows gated by a sensitive fact)."""
    rows = [row for row in run.rows if row.state is None and run.matters(row)] + _funeral_rows(run)
    plain: set[str] = set()
    sensitive: set[str] = set()
    gated = []
    for row in rows:
        waiting = {run.ctx.age_fact if f == "age" else f for f in row.open_facts}
        secret = {f for f in waiting if run.rules.sensitive(f)}
        if secret:  # asked (or declined) first: the other facts of its benefit wait for it
            if any(run.ctx.status(f) == "open" for f in secret):
                gated.append(row)
            sensitive |= {f for f in secret if _askable(run, f)}
        else:
            plain |= {f for f in waiting if _askable(run, f)}
    return plain, sensitive, rows, gated


@loaded_once  # loaded again when a rules file changes
def _age_bands() -> tuple[int, ...]:
    """One age in each band the rules distinguish, from their own thresholds."""
    bounds: set[int] = {0}

    def collect(cond: Any) -> None:
        if isinstance(cond, dict):
            for name, want in cond.items():
                if name == "age" and isinstance(want, dict):
                    bounds.update(value + (1 if kind == "max" else 0) for kind, value in want.items())
                else:
                    collect(want)
        elif isinstance(cond, list):
            for part in cond:
                collect(part)

    data = spec().data
    collect([row["when"] for row in data["monthly"] + data["merit"] + data["care"]])
    collect([case["when"] for row in data["one_time"] for case in row["cases"]])
    collect([q.get("ask_if", {}) for q in data["questions"]])
    return tuple(sorted(bounds))


def _alternatives(run: Run, fact: str) -> list[Facts]:
    facts = run.facts
    if fact == "birth_month":
        month = run.on.month
        return [replace(facts, birth_month=month), replace(facts, birth_month=min(month + 1, 12))]
    if fact == "age":
        return [replace(facts, age=age, birth_year=None, birth_month=None) for age in _age_bands()]
    kind = run.rules.types[fact]
    if kind == "choice":
        values = [o["value"] for o in run.rules.question(fact)["options"]]
    else:
        values = REPRESENTATIVES.get(kind, [True, False])
    return [replace(facts, **{fact: value}) for value in values]


def _signature(run: Run) -> tuple[Any, ...]:
    paid = tuple(sorted((item.key, item.amount_vnd) for item in run.paid))
    return paid, tuple(sorted(item.key for item in run.care)), tuple(sorted(i.key for i in run.one_time()))


def _score(run: Run, fact: str) -> tuple[float, int, int]:
    outcomes, remaining = set(), []
    for alternative in _alternatives(run, fact):
        other = Run(alternative, run.on, run.local_standard_vnd)
        plain, sensitive, _, _ = _candidates(other)
        outcomes.add(_signature(other))
        remaining.append(len(plain))
    return mean(remaining), -len(outcomes), run.rules.order(fact)


def _outcome(run: Run) -> str:
    monthly = sum(item.amount_vnd or 0 for item in run.paid)
    care = sum(item.amount_vnd or 0 for item in run.care)
    plain, _, rows, _ = _candidates(run)
    if not monthly and not care:
        return "chưa rõ, còn tùy các câu trả lời khác" if plain else "không thuộc diện trợ cấp hằng tháng"
    text = f"{money(monthly)}/tháng" if monthly else ""
    if care:
        text += (" và " if text else "") + f"hỗ trợ chăm sóc {money(care)}/tháng"
    return ("ít nhất " if plain else "được ") + text


def _age_label(low: int, high: int | None) -> str:
    if high is None:
        return f"từ đủ {low} tuổi"
    if low == 0:
        return f"dưới {high + 1} tuổi"
    return f"{low} tuổi" if low == high else f"từ {low} đến {high} tuổi"


def _explain_unknown(run: Run, fact: str) -> str:
    """The hint of a "không biết" answer and what each possible answer would give."""
    question = run.rules.question(fact)
    hint = question.get("unknown_hint", "")
    if question.get("sensitive"):
        return hint
    if question["type"] == "count":
        unit = next((r.item.unit_amount_vnd for r in run.rows if fact in r.open_facts and r.item), None)
        return hint.format(unit=money(unit or 0))
    pairs: list[tuple[str, str]] = []
    if fact == "age":
        bands = _age_bands()
        merged: list[tuple[int, int | None, str]] = []
        for index, low in enumerate(bands):
            high = bands[index + 1] - 1 if index + 1 < len(bands) else None
            other = Run(replace(run.facts, age=low, birth_year=None, birth_month=None), run.on, run.local_standard_vnd)
            outcome = _outcome(other)
            if merged and merged[-1][2] == outcome:
                merged[-1] = (merged[-1][0], high, outcome)  # neighbouring bands with the same answer read as one
            else:
                merged.append((low, high, outcome))
        pairs = [(_age_label(low, high), outcome) for low, high, outcome in merged]
    elif fact == "birth_month" and run.ctx.age_range:
        low, high = run.ctx.age_range
        labels = question["branches"]
        for label, age in ((labels["reached"], high), (labels["not_reached"], low)):
            pairs.append((label, _outcome(Run(replace(run.facts, age=age), run.on, run.local_standard_vnd))))
    else:
        options = run.rules.data["bool_options"] if question["type"] == "bool" else question.get("options", [])
        for option in options:
            if option.get("offered") is False:
                continue
            other = Run(replace(run.facts, **{fact: option["value"]}), run.on, run.local_standard_vnd)
            pairs.append((option.get("branch") or option["label"].lower(), _outcome(other)))
    groups: dict[str, list[str]] = {}
    for phrase, outcome in pairs:
        groups.setdefault(outcome, []).append(phrase)
    if len(groups) < 2:
        return hint
    text = "; ".join(f"nếu {' hoặc '.join(phrases)} thì {outcome}" for outcome, phrases in groups.items())
    return f"{hint} {text[0].upper()}{text[1:]}.".strip()


def question_for(run: Run, fact: str) -> Question:
    """The question about `fact`, with `{social_pension}` filled; `{subject}` is filled by the wording."""
    rules = run.rules
    question = rules.question(fact)
    options = rules.data["bool_options"] if question["type"] == "bool" else question.get("options", [])
    offered = [o for o in options if o.get("offered", True)]
    text = question["text"]
    if run.ctx.value("deceased") is True and "text_deceased" in question:
        text = question["text_deceased"]
    if "{social_pension}" in text:
        text = text.replace("{social_pension}", money(rules.rules.amount("htxh", max(run.on, _HTXH_START)).amount_vnd))
    last = question.get("decline") or rules.data["unknown_option"]
    return Question(
        fact=fact,
        type=question["type"],
        text=text,
        options=tuple(Option(o["value"], o["label"]) for o in [*offered, last]),
        sensitive=bool(question.get("sensitive")),
    )


def plan(run: Run, ask_first: tuple[str, ...] = ()) -> Plan:
    """The next question, the benefits still open, and what the "không biết" answers leave undecided.
    A fact in `ask_first` that can still change the answer is asked before the others."""
    plain, sensitive, rows, gated = _candidates(run)
    decided = bool(run.paid or run.care or [item for item in run.one_time() if not item.later])
    fact = None
    alone = {next(iter(row.open_facts)) for row in rows if len(row.open_facts) == 1}
    first = sorted(f for f in plain & alone if run.rules.question(f).get("first"))
    wanted = [f for f in ask_first if f in plain]
    if wanted:
        fact = wanted[0]
    elif first:  # the one fact a benefit still waits for, and its main amount hangs on it (eligibility.yaml `first`)
        fact = min(first, key=run.rules.order)
    elif plain:
        fact = min(plain, key=lambda f: _score(run, f))
    elif sensitive and not decided:
        fact = min(sensitive, key=run.rules.order)
    if decided:
        # A sensitive question that is not going to be asked decides nothing: its benefits are not "possible".
        rows = [row for row in rows if row not in gated]
    unknown = {
        run.ctx.age_fact if f == "age" else f
        for row in rows
        for f in row.open_facts
        if run.ctx.status(run.ctx.age_fact if f == "age" else f) == "unknown"
    }
    undecided = [Undecided(f, _explain_unknown(run, f)) for f in sorted(unknown, key=run.rules.order)]
    question = question_for(run, fact) if fact else None
    return Plan(question, rows, undecided, len(plain) + (1 if fact in sensitive else 0))
