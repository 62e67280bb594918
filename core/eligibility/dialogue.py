"""One turn of the interview, as pure functions: what a message adds to the facts.

The Rasa actions and the benchmark both go through here, so a conversation in the benchmark is the
conversation a person has: the first message read for everything it says, then each reply read as
the answer to the pending question *and* for anything else it says (a later word wins over a bare
"không"; a new value replaces the old one and is acknowledged as a correction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.eligibility.understanding import asks_first, parse_reply, rate_in, understand
from core.eligibility.wording import About, texts
from core.text import fold

# Two people asked about together: "hai vợ chồng tôi đều 80 tuổi", "ông bà tôi đều 82", "mỗi người".
EACH = re.compile(r"\b(vo chong|ong ba|bo me|ba me|cha me|ca hai|hai (ong|ba|nguoi)|2 nguoi)\b.*\b(deu|moi nguoi)\b")
FIRST_DAY = date(2021, 7, 1)  # the rules start here (NĐ 20/2021, NĐ 75/2021)


@dataclass
class Turn:
    """What the conversation knows after a message."""

    facts: dict[str, Any]
    about: About
    period: tuple[date, date] | None = None  # the days asked about, within what the rules cover
    note: str = ""  # said first: the period asked about cannot be answered as such
    understood: bool = True  # the message said something usable
    corrected: dict[str, Any] = field(default_factory=dict)  # facts that replaced an earlier value
    told: dict[str, Any] = field(default_factory=dict)  # facts read from the words (not the button)
    ask_first: tuple[str, ...] = ()  # a condition was named without these facts: asked before the others


def clamp(period: tuple[date, date] | None, today: date) -> tuple[tuple[date, date] | None, str]:
    """The period asked about, cut to what the bot can answer, with a note when it had to change it."""
    if period is None:
        return None, ""
    start, end = period
    words = texts()["texts"]
    if end < FIRST_DAY:
        return None, words["before_rules"]
    if start > today:
        return None, words["future"]
    return (max(start, FIRST_DAY), min(end, today)), ""


def opening(text: str, today: date) -> Turn:
    """The first message: every fact it says, who is asked about, and the period."""
    understood = understand(text if not text.startswith("/") else "", today)
    period, note = clamp(understood.period, today)
    if EACH.search(fold(text)):
        note = " ".join(part for part in (note, texts()["texts"]["each"]) if part)
    about = understood.about or About()
    facts = dict(understood.facts)
    first = tuple(fact for fact in asks_first(text) if fact not in facts)
    return Turn(facts, about, period, note, bool(facts or understood.about or first), told=dict(facts), ask_first=first)


def follow_up(
    facts: dict[str, Any],
    about: About,
    question: dict[str, Any] | None,
    text: str,
    today: date,
    choice: str | None = None,
) -> Turn:
    """A reply: the answer to `question` if it is one, and whatever else the words say."""
    understood = understand(text if not text.startswith("/") else "", today)
    answer = parse_reply(question, text, choice) if question else None
    if understood.corrected and understood.facts and not choice:
        answer = None  # "à không, 79 tuổi" corrects what was said; it does not answer the pending question
    facts = dict(facts)
    young = {"child", "grandchild"}
    same_child = about.relation in young and understood.about is not None and understood.about.relation in young
    if understood.about and understood.about.relation not in (about.relation, "self") and not same_child:
        facts, about = {}, understood.about  # another person now: "còn mẹ tôi 79 tuổi thì sao"
    period, note = clamp(understood.period, today)
    told = dict(understood.facts)
    if (about.child or about.relation in young) and "age" not in told and len(understood.children_ages) == 1:
        told["age"] = understood.children_ages[0]  # "cháu 6 tuổi" about the child asked about: the child's age
    if facts.get("merit_group") and "injury_rate" not in told and (rate := rate_in(text)) is not None:
        told["injury_rate"] = rate  # "nhầm, 61% chứ": the rate of the group already said
    if not answer and not told and understood.period is None:
        return Turn(facts, about, None, "", understood=False)
    corrected = {f: v for f, v in told.items() if f in facts and facts[f] != v}
    facts.update(answer or {})
    facts.update(told)  # what the person says in words wins over a bare "không"
    if understood.corrected and not corrected:
        asked = (question or {}).get("fact")
        corrected = {f: v for f, v in told.items() if f != asked}
    return Turn(facts, about, period, note, True, corrected, told)
