"""Who may receive what, and how much: the eligibility rules of DOMAIN.md as pure functions.

`evaluate(facts, on)` reads `core/rules/eligibility.yaml` (who qualifies) and `benefits.yaml` (what
it pays) and answers with the benefits a person may receive on a date, the total after the
combination rules, and the single question the answer still depends on. The package is split by
responsibility: `facts` (what was told), `spec` (the rules file), `conditions` (three-valued logic),
`engine` (rows and combination), `questions` (what to ask next), `wording` (the Vietnamese answer)
and `understanding` (facts from what people type). No Rasa, HTTP or database here; nothing about
the person is kept.
"""

from core.eligibility.engine import (
    Evaluation,
    HealthCard,
    Item,
    Option,
    Procedure,
    Question,
    Segment,
    Undecided,
    evaluate,
    evaluate_range,
)
from core.eligibility.facts import UNKNOWN, FactError, Facts
from core.eligibility.wording import About, AboutError

__all__ = [
    "UNKNOWN",
    "About",
    "AboutError",
    "Evaluation",
    "FactError",
    "Facts",
    "HealthCard",
    "Item",
    "Option",
    "Procedure",
    "Question",
    "Segment",
    "Undecided",
    "evaluate",
    "evaluate_range",
]
