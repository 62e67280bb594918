"""Evaluate a trained model on the held-out NLU set: intents (FAQ topics included), entities, latency.

Used by `make bench` (our pipeline and Rasa's stock one, side by side) and by the regression
guard in `make test`. The no-diacritics copy of the test set is generated here, by code, so it
can never drift from the original.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEST_SET = ROOT / "tests" / "nlu" / "test_nlu.yml"
SCORED_ENTITIES = (
    "cccd", "phone_number", "bank", "account_number", "month", "wallet",
    "beneficiary_group", "relation", "household_type", "disability_level", "age", "birth_year",
)  # fmt: skip
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<name>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str  # faq topics as "faq/documents"
    entities: tuple[tuple[str, str, int, int], ...]  # (entity, value, start, end)


def parse_example(annotated: str, intent: str) -> Example:
    """'[t9]{"entity": "month", "value": "9"} chua nhan' -> text and (entity, value, start, end)."""
    import json

    text, entities, last = "", [], 0
    for match in _ANNOTATION.finditer(annotated):
        text += annotated[last : match.start()]
        start = len(text)
        text += match.group("text")
        if match.group("name"):
            name, value = match.group("name"), match.group("text")
        else:
            spec = json.loads(match.group("json"))
            name, value = spec["entity"], str(spec.get("value", match.group("text")))
        entities.append((name, value, start, len(text)))
        last = match.end()
    text += annotated[last:]
    return Example(text, intent, tuple(entities))


def load_examples(path: Path = TEST_SET) -> list[Example]:
    examples = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append(parse_example(line[2:], block["intent"]))
    return examples


def strip_diacritics(text: str) -> str:
    """'Đăng ký tài khoản' -> 'Dang ky tai khoan'; keeps length, so entity offsets stay valid."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in "đĐ":
            out.append("d" if ch == "đ" else "D")
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def without_diacritics(examples: list[Example]) -> list[Example]:
    """The test set as people type it without diacritics (canonical entity values unchanged)."""
    copy = []
    for example in examples:
        stripped = strip_diacritics(example.text)
        entities = tuple(
            (name, strip_diacritics(value) if value == example.text[start:end] else value, start, end)
            for name, value, start, end in example.entities
        )
        copy.append(Example(stripped, example.intent, entities))
    return copy


_GROUP_THEN_LEVEL = re.compile(r"^((?:nguoi |ng )?khuyet tat) +(\S.*)$")


def under_convention(examples: list[Example]) -> list[Example]:
    """The examples with the training data's convention for the disability words (tests/nlu/test_annotations.py):
    a level span that starts with "khuyết tật" ("khuyết tật nặng": disability_level) becomes the group
    ("khuyết tật": beneficiary_group disability) and the level ("nặng"). Made by code, so the held-out file
    stays as written; `make bench` reports the entity scores both ways."""
    from core.text import fold

    converted = []
    for example in examples:
        entities = []
        for name, value, start, end in example.entities:
            match = _GROUP_THEN_LEVEL.match(fold(example.text[start:end])) if name == "disability_level" else None
            if match is None:
                entities.append((name, value, start, end))
                continue
            group_end, level_start = start + match.end(1), start + match.start(2)
            entities.append(("beneficiary_group", "disability", start, group_end))
            entities.append((name, value, level_start, end))
        converted.append(Example(example.text, example.intent, tuple(entities)))
    return converted


def predicted_intent(parse: dict[str, Any]) -> str:
    name = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    if name == "faq":
        # Our selector reports under "faq"; Rasa's ResponseSelector without `retrieval_intent` under "default".
        selectors = parse.get("response_selector", {})
        selected = (selectors.get("faq") or selectors.get("default") or {}).get("response", {})
        return selected.get("intent_response_key") or "faq"
    return name


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass
class Report:
    intent_macro_f1: float = 0.0
    intent_accuracy: float = 0.0
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    entities: dict[str, dict[str, float]] = field(default_factory=dict)
    fallback_rate: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    entity_errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "confusion"}


def score(examples: list[Example], parses: list[dict[str, Any]], latencies: list[float]) -> Report:
    report = Report()
    labels = sorted({e.intent for e in examples})
    confusion: dict[str, dict[str, int]] = {gold: {} for gold in labels}
    for example, parse in zip(examples, parses, strict=True):
        guess = predicted_intent(parse)
        confusion[example.intent][guess] = confusion[example.intent].get(guess, 0) + 1
        if guess != example.intent:
            report.errors.append({"text": example.text, "gold": example.intent, "predicted": guess})
    f1s = []
    for label in labels:
        tp = confusion[label].get(label, 0)
        predicted = sum(row.get(label, 0) for row in confusion.values())
        actual = sum(confusion[label].values())
        precision, recall = (tp / predicted if predicted else 0.0), (tp / actual if actual else 0.0)
        report.per_intent[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1(precision, recall),
            "support": actual,
        }
        f1s.append(f1(precision, recall))
    report.intent_macro_f1 = sum(f1s) / len(f1s)
    report.intent_accuracy = sum(confusion[label].get(label, 0) for label in labels) / len(examples)
    report.fallback_rate = sum(predicted_intent(p) == "nlu_fallback" for p in parses) / len(parses)
    report.confusion = confusion

    # Entities are scored on (entity, canonical value) per message, which is what actions use;
    # spans may differ by a word ("khuyết tật nặng" vs "nặng") without changing the meaning.
    counts: dict[str, list[int]] = {}
    for example, parse in zip(examples, parses, strict=True):
        gold = {(name, value) for name, value, _start, _end in example.entities}
        found = {(x["entity"], str(x.get("value"))) for x in parse.get("entities", [])}
        for name in {n for n, _ in gold} | {n for n, _ in found}:
            row = counts.setdefault(name, [0, 0, 0])  # true positives, predicted, gold
            gold_n = {g for g in gold if g[0] == name}
            found_n = {f for f in found if f[0] == name}
            row[0] += len(gold_n & found_n)
            row[1] += len(found_n)
            row[2] += len(gold_n)
            if gold_n != found_n:
                report.entity_errors.append({"text": example.text, "gold": sorted(gold_n), "found": sorted(found_n)})
    for name, (tp, predicted, actual) in sorted(counts.items()):
        precision, recall = (tp / predicted if predicted else 0.0), (tp / actual if actual else 0.0)
        report.entities[name] = {"precision": precision, "recall": recall, "f1": f1(precision, recall), "gold": actual}

    ordered = sorted(latencies)
    report.latency_ms = {
        "p50": statistics.median(ordered) * 1000,
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000,
        "mean": statistics.fmean(ordered) * 1000,
    }
    return report


def parse_all(model_path: Path, examples: list[Example]) -> tuple[list[dict[str, Any]], list[float]]:
    """Parse every example with the model loaded in this process; one warm-up parse first."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parse, with its text, at debug level.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model_path))

    async def run() -> tuple[list[dict[str, Any]], list[float]]:
        await agent.parse_message("xin chào")
        parses, latencies = [], []
        for example in examples:
            started = time.perf_counter()
            parses.append(await agent.parse_message(example.text))
            latencies.append(time.perf_counter() - started)
        return parses, latencies

    return asyncio.run(run())


def evaluate(model_path: Path, examples: list[Example]) -> Report:
    parses, latencies = parse_all(model_path, examples)
    return score(examples, parses, latencies)
