"""Canonical entity values however they are typed: "vietcom", "ngan hang ngoai thuong" -> VCB,
"t9", "thang chin" -> 9, "thang nay" -> this_month.

Rasa's EntitySynonymMapper matches synonyms letter for letter, so an alias typed without
diacritics, or in a new spelling, keeps its raw text as value. This component looks values up
diacritics-insensitively in the synonyms learned from the training data, in the bank and wallet
aliases of core/rules/providers.yaml, and reads months with a small grammar. Groups, relations and
household types are read with the lexicon of core/rules/entities.yaml (bot/nlu/lexicon.py).

Then two fallbacks from the same lexicon, for what the CRF missed: a beneficiary group named by an
unambiguous phrase ("thương binh", "bà mẹ Việt Nam anh hùng"), which also drops relation entities
inside it ("mẹ" in "bà mẹ Việt Nam anh hùng"); and, when no relation was extracted, a relative named
with their owner ("má tui", "con em", "bầm em").
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import lexicon
from core.text import fold
from core.values import providers

MONTH_WORDS = {
    "gieng": 1,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
    "muoi mot": 11,
    "mot mot": 11,
    "muoi hai": 12,
    "chap": 12,
}  # fmt: skip  ("sau" is left out: unaccented, "tháng sau" means next month; "sáu" is handled apart)
RELATIVE_MONTHS = {
    "this_month": ("nay", "ni", "hien tai", "hien nay"),
    "last_month": ("truoc", "roi", "vua roi", "qua"),
    "next_month": ("sau", "toi", "ke tiep"),
}
_MONTH_PREFIX = re.compile(r"^(?:thang|thg|th|t)\s*")
_BANK_PREFIX = re.compile(r"^(?:ngan hang|nh|bank)\s+")


def month_value(text: str) -> str | None:
    """'t9' -> '9', 'tháng chạp' -> '12', 'tháng trước' -> 'last_month'; None if not a month."""
    if re.search(r"\bsáu\b", text.lower()):
        return "6"
    folded = fold(text).strip(" .,!?")
    rest = _MONTH_PREFIX.sub("", folded, count=1).strip()
    if rest.isdigit() and 1 <= int(rest) <= 12 and rest != folded:
        return str(int(rest))
    if rest in MONTH_WORDS and rest != folded:
        return str(MONTH_WORDS[rest])
    for value, words in RELATIVE_MONTHS.items():
        if rest in words and rest != folded:
            return value
    return None


def provider_aliases() -> dict[tuple[str, str], str]:
    table = {}
    for code, spec in providers().items():
        entity = "wallet" if code.endswith("_MONEY") else "bank"
        for alias in [code, spec["name"], *spec.get("aliases", [])]:
            table[(entity, fold(alias))] = code
    return table


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class EntityCanonicalizer(GraphComponent):
    """Maps extracted entity values to canonical ones, diacritics-insensitively."""

    def __init__(self, model_storage: ModelStorage, resource: Resource, table: dict[str, str] | None = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.table: dict[str, str] = table or {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityCanonicalizer:
        return cls(model_storage, resource)

    @staticmethod
    def key(entity: str, text: str) -> str:
        folded = fold(text).strip(" .,!?")
        if entity in ("bank", "wallet"):
            folded = _BANK_PREFIX.sub("", folded)
        return f"{entity}\t{folded}"

    def train(self, training_data: TrainingData) -> Resource:
        table = {self.key(e, a): c for (e, a), c in provider_aliases().items()}
        for example in training_data.entity_examples:
            for entity in example.get(ENTITIES, []):
                text = example.get("text", "")[entity["start"] : entity["end"]]
                if entity.get("value") and entity["value"] != text:
                    table.setdefault(self.key(entity["entity"], text), str(entity["value"]))
        self.table = table
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "canonical.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EntityCanonicalizer:
        try:
            with model_storage.read_from(resource) as directory:
                table = json.loads((directory / "canonical.json").read_text(encoding="utf-8"))
        except ValueError:
            table = {}
        return cls(model_storage, resource, table)

    def canonical(self, entity: str, text: str, value: Any) -> Any:
        if entity == "month":
            return month_value(text) or self.table.get(self.key(entity, text), value)
        read = {
            "beneficiary_group": lexicon.group_value,
            "relation": lexicon.relation_value,
            "household_type": lexicon.household_value,
        }.get(entity)
        found = read(text) if read else None
        return found or self.table.get(self.key(entity, text), value)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get("text", "")
            entities = message.get(ENTITIES, [])
            for entity in entities:
                entity["value"] = self.canonical(
                    entity["entity"], text[entity["start"] : entity["end"]], entity.get("value")
                )
            message.set(ENTITIES, with_fallbacks(text, entities), add_to_output=True)
        return messages


def _overlaps(span: lexicon.Span, entity: Dict[str, Any]) -> bool:
    return bool(span.start < entity["end"] and span.end > entity["start"])


def _fallback_entity(span: lexicon.Span, name: str) -> Dict[str, Any]:
    return {
        "entity": name,
        "start": span.start,
        "end": span.end,
        "value": span.value,
        "confidence_entity": 1.0,
        "extractor": "EntityCanonicalizer",
    }


def _not_a_relative(text: str, entity: Dict[str, Any]) -> bool:
    """A relation entity that names nobody: marks that are not a relation word's ("đi", "chỉ", "ổng"),
    or a pronoun ("bà ấy")."""
    if entity["entity"] != "relation":
        return False
    typed = text[entity["start"] : entity["end"]]
    return (
        lexicon.relation_value(typed) is None
        and lexicon.has_diacritics(typed)
        or lexicon.is_pronoun_at(text, entity["end"])
    )


_FULL_DATE = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}")


def _is_a_date(text: str, entity: Dict[str, Any]) -> bool:
    """A day/month/year (a birth date typed in the identity form) is a date, never the month asked about."""
    return bool(entity["entity"] == "month" and _FULL_DATE.search(text[entity["start"] : entity["end"]]))


def with_fallbacks(text: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The extracted entities, less relations that name nobody and months that are whole dates, plus the
    lexicon's groups and owned relatives the extractors missed."""
    result = [e for e in entities if not _not_a_relative(text, e) and not _is_a_date(text, e)]
    for span in lexicon.group_spans(text, fallback=True):
        if any(_overlaps(span, e) and e["entity"] == "beneficiary_group" for e in result):
            continue
        result = [e for e in result if not (e["entity"] == "relation" and _overlaps(span, e))]
        result.append(_fallback_entity(span, "beneficiary_group"))
    if not any(e["entity"] == "relation" for e in result):
        for span in lexicon.relation_spans(text):
            if not any(_overlaps(span, e) for e in result):
                result.append(_fallback_entity(span, "relation"))
    return sorted(result, key=lambda e: e["start"])
