"""The eligibility answer in Vietnamese: the person named as the conversation names them, the answer first.

The first bubble says the amount (or yes/no) in one or two short lines; the basis, papers and where to
apply come on request in one more bubble. Texts live in `core/rules/wording.yaml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from itertools import product
from typing import Any

from core.eligibility.engine import Evaluation, Item, Question, Segment, evaluate
from core.eligibility.facts import UNKNOWN, Facts
from core.eligibility.spec import spec
from core.formatting import money
from core.rules import load_yaml, loaded_once

FIRST_ANSWER_MAX = 300
"""Characters of the first bubble: one phone screen with the buttons."""

SPEAKERS = ("self", "relative", "agent")
ADDRESSES = ("Bác", "Anh/Chị", "Cô", "Chú", "Ông", "Bà")


@loaded_once  # loaded again when a rules file changes
def texts() -> dict[str, Any]:
    return load_yaml("wording.yaml")


class AboutError(ValueError):
    """An `about` value outside its set (the message names the field, never the value)."""


@dataclass(frozen=True)
class About:
    """Who types and who is asked about. Only keys and words from wording.yaml: nothing personal."""

    speaker: str = "self"  # self | relative | agent
    relation: str = "self"  # a key of wording.yaml `relations`
    kin: str = ""  # the word the person used ("má", "bà nội"), one of that relation's words
    address: str = "Bác"  # how the person typing is addressed
    child: bool = False  # the person asked about is a child ("cháu bé")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> About:
        if not data:
            return cls()
        about = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        relations = texts()["relations"]
        if about.speaker not in SPEAKERS:
            raise AboutError("bad speaker")
        if about.relation not in relations:
            raise AboutError("bad relation")
        if about.kin and about.kin not in relations[about.relation].get("words", []):
            raise AboutError("bad kin")
        if about.address not in ADDRESSES:
            raise AboutError("bad address")
        if not isinstance(about.child, bool):
            raise AboutError("bad child")
        return about

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def subject_name(about: About, age: Any = None) -> str:
    """How the answer names the person asked about: "Bác", "mẹ Bác", "cháu bé", "bà cụ"."""
    relation = texts()["relations"][about.relation]
    young = isinstance(age, int) and age < 16
    if about.relation == "self":
        return about.address
    if about.relation == "customer":
        if about.kin in ("bà ấy", "bà cụ", "cụ") and not young:
            return "bà cụ" if not isinstance(age, int) or age >= 60 else about.kin
        if about.kin in ("ông ấy", "ông cụ") and not young:
            return "ông cụ" if not isinstance(age, int) or age >= 60 else about.kin
        return "cháu bé" if young else "khách hàng"
    if young or (about.child and not isinstance(age, int)):
        return "cháu bé"
    word = about.kin or relation["display"]
    if about.relation == "child":
        word = about.kin if about.kin in ("con gái", "con trai") else "con"  # "con gái" kept whole
    return f"{word} {about.address}"


def _fill(template: str, about: About, facts: Facts | None, **extra: Any) -> str:
    name = subject_name(about, facts.age if facts else None)
    values = {"subject": name, "Subject": capital(name), "address": about.address, **extra}
    return template.format(**values)


def render_question(question: Question, about: About, facts: Facts) -> Question:
    """The question with the person named; a first-person question when the person asks for themselves."""
    text = _fill(question.text, about, facts)
    if question.options and len(question.options) > 2:
        text += f" {about.address} chọn hoặc gõ số:"
    return replace(question, text=text)


def short_name(item: Item) -> str:
    names = texts()["short"]
    template = names.get(item.key) or names.get(item.group)
    if template is None:
        return item.name[:1].lower() + item.name[1:]
    return template.format(rate=item.rate or "")


def _what(item: Item, per_month: str = "") -> str:
    """One benefit in the first answer, with its amount: per child when counted per child, parts in brackets."""
    name = short_name(item)
    if item.per_child and item.count >= 1 and item.unit_amount_vnd:
        if item.count == 1:
            return f"{name}: {money(item.unit_amount_vnd)}{per_month} cho 1 cháu"
        unit, total = money(item.unit_amount_vnd), money(item.amount_vnd or 0)
        return f"{name}: mỗi cháu {unit}, {item.count} cháu là {total}{per_month}"
    if item.parts:
        parts = " + ".join(f"{label} {money(amount)}" for label, amount in item.parts)
        return f"{name} {money(item.amount_vnd or 0)}{per_month} ({parts})"
    return f"{name} {money(item.amount_vnd or 0)}{per_month}"


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "; ".join(parts[:-1]) + " và " + parts[-1]


def period_label(start: date, end: date) -> str:
    """'năm 2023, ' for a whole year, 'tháng 10/2023, ' for a month, '' otherwise."""
    if start.month == 1 and start.day == 1 and end == date(start.year, 12, 31):
        return f"năm {start.year}, "
    next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if start.day == 1 and end == next_month - timedelta(days=1):
        return f"tháng {start.month}/{start.year}, "
    return ""


def _segments_text(segments: tuple[Segment, ...]) -> str:
    parts = []
    for index, segment in enumerate(segments):
        when = f"đến {segment.end:%d/%m/%Y}" if index == 0 else f"từ {segment.start:%d/%m/%Y}"
        amount = f"{money(segment.monthly_total_vnd)}/tháng" if segment.monthly_total_vnd else "không có trợ cấp"
        parts.append(f"{when} {amount}")
    return "; ".join(parts)


def first_answer(
    evaluation: Evaluation,
    about: About,
    facts: Facts,
    when: str = "",
    segments: tuple[Segment, ...] = (),
) -> str:
    """The answer in one or two lines (≤ about 300 characters): the amount or yes/no first."""
    words = texts()["texts"]
    hedge = words["hedge"] if evaluation.hedged else ""

    def fill(template: str, **extra: Any) -> str:
        return _fill(template, about, facts, when=when, hedge=hedge, **extra)

    if evaluation.deceased:
        return _funeral_answer(evaluation, fill)
    paid = [item for item in evaluation.benefits if item.paid]
    if len(segments) > 1:
        text = fill(words["segments"], parts=_segments_text(segments))
    elif len(paid) == 1:
        text = fill(words["eligible_one"], what=_what(paid[0], "/tháng"))
    elif paid:
        listed = _listed([_what(item) for item in paid])
        text = fill(words["eligible_many"], total=money(evaluation.monthly_total_vnd), what=listed)
    elif evaluation.care_support:
        family = facts.family_cares is True and not facts.carer
        key = ("care_family_only" if evaluation.complete else "care_family_so_far") if family else "care_only"
        text = fill(words[key], amount=money(evaluation.care_total_vnd))  # "no allowance of its own" once settled
    elif evaluation.unknown_amounts:
        text = ""
    elif evaluation.possible and not evaluation.complete:
        text = fill(words["open"])
    else:
        text = fill(words["not_eligible"])
    if evaluation.care_support and paid:
        family = facts.family_cares is True and not facts.carer  # the household cares for the person asked about
        text += fill(words["care_family" if family else "care_self"], amount=money(evaluation.care_total_vnd))
    for item in evaluation.unknown_amounts:
        why = " (còn tùy tỷ lệ tổn thương)" if item.rate is None and item.group == "ncc" else ""
        what = short_name(item).replace(" %", "").strip()
        text += fill(words["unknown_amount" if text else "unknown_only"], what=what, why=why)
    if evaluation.health_insurance and paid:
        text += words["health_card"]
    extra = [u.text for u in evaluation.undecided]
    for sentence in extra:
        if len(text) + 1 + len(sentence) <= FIRST_ANSWER_MAX:
            text += " " + sentence
    return text.strip()


def _funeral_answer(evaluation: Evaluation, fill: Any) -> str:
    words = texts()["texts"]
    funerals = [item for item in evaluation.one_time if not item.later]
    known = [item for item in funerals if item.amount_vnd is not None]
    if known:
        item = known[0]
        amount = ("ít nhất " if item.minimum else "") + money(item.amount_vnd or 0)
        text = fill(words["funeral"], amount=amount)
        unknown = [i for i in funerals if i.amount_vnd is None]
        if unknown:
            text += f" Có thể được {short_name(unknown[0])} nếu cao hơn (mức chưa xác định)."
        return text
    if funerals:
        return fill(words["funeral_unknown"], what=short_name(funerals[0]))
    return fill(words["funeral_none"])


def _line(item: Item) -> str:
    """One benefit in the basis: what, how much, from which text."""
    if item.amount_vnd is None:
        return f"{capital(short_name(item))}: chưa xác định được mức ({item.citation})."
    amount = f"{money(item.amount_vnd)}/tháng" if item.kind != "one_time" else money(item.amount_vnd)
    if item.count > 1 or item.per_child:
        amount = f"{money(item.unit_amount_vnd or 0)} × {item.count} = {amount}"
    if item.coefficient is not None and item.standard_vnd:
        coefficient = f"{item.coefficient:g}".replace(".", ",")
        how = f"hệ số {coefficient} × mức chuẩn {money(item.standard_vnd)}, {item.citation}"
    else:
        how = item.citation
    hedge = "" if item.confirmed else texts()["texts"]["hedge"]
    return f"{capital(short_name(item))}: {'tối thiểu ' if item.minimum else ''}{amount} ({how}){hedge}."


def details(evaluation: Evaluation, about: About, facts: Facts) -> str:
    """The basis, papers and where to apply, in one bubble."""
    words = texts()["texts"]
    shown = (
        [i for i in evaluation.benefits if i.paid] + list(evaluation.unknown_amounts) + list(evaluation.care_support)
    )
    if evaluation.deceased:
        shown = [i for i in evaluation.one_time if not i.later]
    lines = [words["details_title"], *(f"• {_line(item)}" for item in shown)]
    lines += [f"• {line}" for line in evaluation.rules_applied]
    later = [i for i in evaluation.one_time if i.later and i.amount_vnd is not None][:1]
    later = later or [i for i in evaluation.one_time if i.later][:1]
    if later and not evaluation.deceased:
        item = later[0]
        amount = (
            f"{'tối thiểu ' if item.minimum else ''}{money(item.amount_vnd)}"
            if item.amount_vnd
            else "mức chưa xác định"
        )
        lines.append(f"• Khi qua đời: gia đình được {short_name(item)} {amount} ({item.citation}).")
    if evaluation.health_insurance and shown and not evaluation.deceased:
        lines.append(f"• {words['card'].format(citation=evaluation.health_insurance.citation)}")
    papers = list(dict.fromkeys(p for item in shown for p in item.papers))
    if papers:
        lines.append(words["papers"].format(papers=", ".join(papers)))
    for place in evaluation.where_to_apply[:2]:  # e.g. người có công (Nội vụ) and trợ cấp xã hội (UBND xã)
        lines.append(words["where"].format(where=place.text))
    lines += [f"• {note}" for note in [*evaluation.notes, *(u.text for u in evaluation.undecided)]]
    return "\n".join(lines)


def acknowledge(told: Mapping[str, Any], about: About, facts: Facts, corrected: bool = False) -> str:
    """'Dạ, cháu ghi nhận: mẹ Bác 82 tuổi, không có lương hưu.' — what was understood, so it can be corrected."""
    phrases = []
    table = texts()["told"]
    order = list(table)
    for fact, value in sorted(told.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
        form = table.get(fact)
        if form is None or value is None or value == "unknown":
            continue
        if isinstance(form, dict):
            phrase = form.get(value if not isinstance(value, bool) else str(value).lower())
            phrase = phrase or form.get(value)
        else:
            phrase = form.format(value=value)
        if phrase:
            phrases.append(phrase)
    if not phrases:
        return ""
    if "merit_group" in told and "injury_rate" in told and len(phrases) >= 2:
        rate = phrases.pop(phrases.index(f"{told['injury_rate']}%"))
        index = next(i for i, p in enumerate(phrases) if p == table["merit_group"].get(told["merit_group"]))
        phrases[index] += f" {rate}"
    words = texts()["texts"]
    template = words["ack_corrected"] if corrected else words["ack"]
    return _fill(template, about, facts, told=", ".join(phrases[:5]))


EARLY_MAX_FACTS = 1  # an "if" answer names one condition, the usual case, or it is no answer
_AGE_FACTS = {"age", "birth_year", "birth_month"}  # the amount itself may hang on age: never assumed


def early_answer(evaluation: Evaluation, about: About, facts: Facts, local_standard_vnd: int = 0) -> str:
    """Said with the first question when the opening message already settles something and nothing is
    paid yet: a benefit the facts meet but an exclusion takes away ("không được … vì đang có lương hưu
    (khoản 1 Điều 51 Luật Người khuyết tật 2010)"), or the best benefit still open and the one or two
    plain condition it waits for, in its usual value ("nếu mẹ Bác không có lương hưu thì … 1.250.000 ₫/tháng"). "" when
    the interview is over, a monthly amount is already paid (that answer comes first anyway), or neither holds."""
    if evaluation.complete or evaluation.deceased or evaluation.monthly_total_vnd:
        return ""
    words = texts()
    for group, citation in evaluation.excluded:
        why = next((phrase for fact, phrase in words["excluded_because"].items() if _holds(facts, fact)), None)
        name = words["short"].get(group)
        if why and name:
            return _fill(words["texts"]["early_excluded"], about, facts, what=name, why=why, citation=citation)
    return _early_if(evaluation, about, facts, local_standard_vnd)


def _holds(facts: Facts, fact: str) -> bool:
    value = getattr(facts, fact, None)
    return value not in (None, False, UNKNOWN, "", "none")


def _early_if(evaluation: Evaluation, about: About, facts: Facts, local_standard_vnd: int) -> str:
    monthly = [i for i in evaluation.possible if i.kind == "monthly" and i.amount_vnd and i.depends_on]
    for item in sorted(monthly, key=lambda i: -(i.amount_vnd or 0)):
        waiting = item.depends_on
        if len(waiting) > EARLY_MAX_FACTS or set(waiting) & _AGE_FACTS or any(map(spec().sensitive, waiting)):
            continue  # the amount hangs on age, or the condition is not one to say unasked (HIV)
        for values in product(*(_values(fact) for fact in waiting)):
            assumed = dict(zip(waiting, values, strict=True))
            try:
                other = evaluate(replace(facts, **assumed), evaluation.on, local_standard_vnd)
            except ValueError:
                continue
            paid = next((i for i in other.benefits if i.paid and i.key == item.key), None)
            if paid is None:
                continue
            told = _told_phrases(assumed)
            if len(told) != len(assumed):
                continue  # a condition the wording cannot say plainly
            hedge = texts()["texts"]["hedge"] if not paid.confirmed else ""
            text = _fill(texts()["texts"]["early_if"], about, facts, condition=" và ".join(told),
                         what=_what(paid, "/tháng"), hedge=hedge)  # fmt: skip
            if len(text) <= FIRST_ANSWER_MAX:
                return text
    return ""


def _values(fact: str) -> list[Any]:
    """The usual answer of a question (its `default` in eligibility.yaml: no pension), if it has one:
    an early answer assumes only what is usually so, never a disability or an illness."""
    question = spec().question(fact)
    return [question["default"]] if "default" in question else []


def _told_phrases(told: Mapping[str, Any]) -> list[str]:
    table = texts()["told"]
    phrases = []
    for fact, value in told.items():
        form = table.get(fact)
        if isinstance(form, dict):
            phrase = form.get(value) or (form.get(str(value).lower()) if isinstance(value, bool) else None)
        elif isinstance(form, str):
            phrase = form.format(value=value)
        else:
            phrase = None
        if phrase:
            phrases.append(phrase)
    return phrases
