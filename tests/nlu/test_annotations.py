"""One annotation convention for the disability words in the training data (data/nlu).

"khuyết tật nặng" is [khuyết tật](beneficiary_group: disability) [nặng](disability_level: severe), and
"khuyết tật đặc biệt nặng" likewise with especially_severe: the group and the level are two entities, so
the eligibility interview gets both. The held-out set (tests/nlu/test_nlu.yml) is not checked here and is
never edited to follow this; bench/nlu_eval.py scores it as written and, apart, under this convention.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bench.nlu_eval import Example, load_examples, parse_example, under_convention
from core.text import fold

DATA = Path(__file__).resolve().parents[2] / "data" / "nlu"
LEVEL_WORDS = {"nang": "severe", "dac biet nang": "especially_severe"}
DISABILITY = re.compile(r"\b(nguoi |ng )?khuyet tat\s*$")


def training_examples() -> list[Example]:
    examples = []
    for path in sorted(DATA.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    examples.append(parse_example(line.strip()[2:], block["intent"]))
    return examples


def convention_errors(example: Example) -> list[str]:
    """What in one example breaks the convention (empty if nothing)."""
    errors = []
    groups = [(s, e) for name, value, s, e in example.entities if name == "beneficiary_group" and value == "disability"]
    for name, value, start, end in example.entities:
        if name != "disability_level":
            continue
        span = " ".join(fold(example.text[start:end]).split())
        if LEVEL_WORDS.get(span) != value:
            errors.append(f"level span {example.text[start:end]!r} is not just the level word of {value}")
        before = fold(example.text[:start])
        if DISABILITY.search(before) and not any(e <= start and not example.text[e:start].strip() for _, e in groups):
            errors.append(f"'khuyết tật' before {example.text[start:end]!r} is not annotated as the group")
    # "khuyết tật nặng" typed but neither part annotated
    folded = fold(example.text)
    for match in re.finditer(r"\bkhuyet tat (dac biet )?nang\b", folded):
        if not any(s < match.end() and e > match.start() for _, _, s, e in example.entities):
            errors.append(f"{example.text[match.start() : match.end()]!r} is not annotated")
    return errors


def test_training_data_follows_the_convention() -> None:
    examples = training_examples()
    assert sum(name == "disability_level" for e in examples for name, *_ in e.entities) >= 30
    broken = {e.text: convention_errors(e) for e in examples if convention_errors(e)}
    assert not broken, broken


@pytest.mark.parametrize(
    ("annotated", "broken"),
    [
        ('[khuyết tật nặng]{"entity": "disability_level", "value": "severe"}', True),
        ('[khuyết tật]{"entity": "beneficiary_group", "value": "disability"} '
         '[nặng]{"entity": "disability_level", "value": "severe"}', False),
        ('khuyết tật [nặng]{"entity": "disability_level", "value": "severe"}', True),
        ('con tôi khuyết tật đặc biệt nặng', True),
        ('[nguoi khuyet tat]{"entity": "beneficiary_group", "value": "disability"} '
         '[dac biet nang]{"entity": "disability_level", "value": "especially_severe"}', False),
        ('[khuyết tật]{"entity": "beneficiary_group", "value": "disability"} '
         '[đặc biệt nặng]{"entity": "disability_level", "value": "severe"}', True),
    ],
)  # fmt: skip
def test_the_check_tells_the_convention_apart(annotated: str, broken: bool) -> None:
    assert bool(convention_errors(parse_example(annotated, "inform"))) is broken


def test_held_out_under_the_convention_is_made_by_code_and_only_adds_the_group() -> None:
    held_out = load_examples()
    converted = under_convention(held_out)
    changed = [(a, b) for a, b in zip(held_out, converted, strict=True) if a != b]
    assert changed, "the held-out set has 'khuyết tật nặng' spans labelled as a level only"
    for before, after in changed:
        assert after.text == before.text
        assert not convention_errors(after), after
        added = set(after.entities) - set(before.entities)
        assert {name for name, *_ in added} <= {"beneficiary_group", "disability_level"}
        assert ("beneficiary_group", "disability") in {(n, v) for n, v, *_ in after.entities}
