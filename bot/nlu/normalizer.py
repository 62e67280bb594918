"""Vietnamese text normalisation for the NLU pipeline.

`VietnameseTokenizer` splits like Rasa's WhitespaceTokenizer, so token offsets and entity
annotations stay exactly on the text the person typed, and gives every token a normalised
*lemma*: NFC, lower case, teencode expanded ("ko" -> "không", "t9" -> "tháng 9"), old 11-digit
mobile prefixes mapped to today's numbers, then diacritics and đ folded ("không" -> "khong").
Featurizers with `use_lemma: true` see that lemma, so "lien ket tk" and "liên kết tài khoản"
look alike to the classifier; a featurizer with `use_lemma: false` keeps the accented words.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from core.phones import OLD_PREFIXES
from core.text import fold, teencode

_MONTH = re.compile(r"^t(?:h(?:g)?)?(\d{1,2})$")  # t9, th9, thg9 -> tháng 9


def normalise_word(word: str) -> str:
    """The normalised, folded form of one typed word (may become several words)."""
    lowered = unicodedata.normalize("NFC", word).lower()
    month = _MONTH.match(lowered)
    if month and 1 <= int(month.group(1)) <= 12:
        return f"thang {int(month.group(1))}"
    if len(lowered) == 11 and lowered[:4] in OLD_PREFIXES and lowered.isdigit():
        lowered = OLD_PREFIXES[lowered[:4]] + lowered[4:]
    return fold(teencode().get(lowered, lowered))


def normalise_text(text: str) -> str:
    """Whole-sentence view of the same normalisation (used by tests and the benchmark)."""
    return " ".join(normalise_word(word) for word in text.split())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer whose tokens carry a normalised lemma (see the module docstring)."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = normalise_word(token.text)
        return tokens
