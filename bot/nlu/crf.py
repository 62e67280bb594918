"""A CRF entity extractor over the normalised lemmas of `VietnameseTokenizer` (sklearn-crfsuite).

Rasa's CRFEntityExtractor sees the words as typed (lower-cased, with prefixes and suffixes of the
accented text), so "khuyet tat" and "khuyết tật" are different words to it and an entity learnt
with marks is missed without them. This one sees the folded lemma ("khuyet tat", teencode expanded,
"t9" -> "thang 9") of each word and of its neighbours, the shape of numbers (a 12-digit CCCD, a
10-digit phone), and what the lexicon of core/rules/entities.yaml says about the word (inside a
beneficiary-group phrase, a relation word, a word for the person typing). So it gives the same
entities with and without diacritics, in upper or lower case. Tags are BIO over whitespace tokens.
"""

from __future__ import annotations

import pickle
from typing import Any, Dict, List, Sequence

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import lexicon
from bot.nlu.normalizer import normalise_word

TOKENS = TOKENS_NAMES[TEXT]
MODEL_FILE = "crf.pkl"
OUTSIDE = "O"


def lemma_of(token: Token) -> str:
    return str(token.lemma or normalise_word(token.text))


def shape(lemma: str) -> str:
    """'001144100002' -> 'd12z', 'khuyet' -> 'x', '5100200300001' -> 'd13', '82' -> 'd2' (z: a leading 0)."""
    compact = lemma.replace(" ", "")
    if compact.isdigit():
        return f"d{len(compact)}" + ("z" if compact.startswith("0") else "")
    if any(ch.isdigit() for ch in compact):
        return "xd"
    return "x"


def size(lemma: str) -> str:
    """A coarser shape of numbers: 'long' (8-16 digits, an account, CCCD or phone), 'short' (1-4), else 'x'."""
    compact = lemma.replace(" ", "")
    if not compact.isdigit():
        return "x"
    return "long" if 8 <= len(compact) <= 16 else "short" if len(compact) <= 4 else "mid"


def lexicon_marks(text: str, tokens: Sequence[Token]) -> list[dict[str, str]]:
    """Per token: inside a group phrase ('grp' B/I) or a bank or wallet alias ('prv' B/I), a relation word
    ('rel'), a word for the typer ('own')."""
    marks: list[dict[str, str]] = [{} for _ in tokens]
    for mark, spans in (("grp", lexicon.group_spans(text)), ("prv", lexicon.provider_spans(text))):
        for span in spans:
            first = True
            for index, token in enumerate(tokens):
                if token.start < span.end and token.end > span.start:
                    marks[index][mark] = "B" if first else "I"
                    first = False
    possessors = set(lexicon.tables()["possessors"])
    for index, token in enumerate(tokens):
        folded = " ".join(w for w, _, _ in lexicon.words(token.text))
        if folded in lexicon.tables()["relations_folded"]:
            marks[index]["rel"] = "1"
        if tuple(folded.split()) in possessors:
            marks[index]["own"] = "1"
    return marks


def sentence_features(text: str, tokens: Sequence[Token], window: int = 2) -> list[dict[str, Any]]:
    lemmas = [lemma_of(t) for t in tokens]
    marks = lexicon_marks(text, tokens)
    features = []
    for i, lemma in enumerate(lemmas):
        feats: dict[str, Any] = {
            "bias": 1.0,
            "w": lemma,
            "shape": shape(lemma),
            "size": size(lemma),
            "grp": marks[i].get("grp", "O"),
            "prv": marks[i].get("prv", "O"),
            "rel": marks[i].get("rel", "0"),
            "own": marks[i].get("own", "0"),
        }
        for offset in range(-window, window + 1):
            if offset == 0:
                continue
            j = i + offset
            if 0 <= j < len(lemmas):
                feats[f"{offset}:w"] = lemmas[j]
                feats[f"{offset}:shape"] = shape(lemmas[j])
                feats[f"{offset}:size"] = size(lemmas[j])
                if abs(offset) == 1:
                    feats[f"{offset}:grp"] = marks[j].get("grp", "O")
                    feats[f"{offset}:prv"] = marks[j].get("prv", "O")
                    feats[f"{offset}:rel"] = marks[j].get("rel", "0")
                    feats[f"{offset}:own"] = marks[j].get("own", "0")
            else:
                feats[f"{offset}:w"] = "<s>" if j < 0 else "</s>"
        if i > 0:
            feats["-1|0"] = f"{lemmas[i - 1]}|{lemma}"
        if i + 1 < len(lemmas):
            feats["0|+1"] = f"{lemma}|{lemmas[i + 1]}"
        features.append(feats)
    return features


def bio_tags(tokens: Sequence[Token], entities: Sequence[dict[str, Any]]) -> list[str]:
    """BIO tags of the tokens for the annotated entities (a token inside an entity's span takes its name)."""
    tags = [OUTSIDE] * len(tokens)
    for entity in sorted(entities, key=lambda e: e["start"]):
        inside = [i for i, t in enumerate(tokens) if t.start >= entity["start"] and t.end <= entity["end"]]
        for position, index in enumerate(inside):
            if tags[index] == OUTSIDE:
                tags[index] = ("B-" if position == 0 else "I-") + entity["entity"]
    return tags


def decode(text: str, tokens: Sequence[Token], tags: Sequence[str], scores: Sequence[float]) -> list[dict[str, Any]]:
    """Entities from BIO tags; an I- tag without its B- opens an entity too."""
    entities: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for token, tag, score in zip(tokens, tags, scores, strict=True):
        if tag == OUTSIDE:
            current = None
            continue
        kind, name = tag.split("-", 1)
        if current is not None and kind == "I" and current["entity"] == name:
            current["end"] = token.end
            current["scores"].append(score)
            continue
        current = {"entity": name, "start": token.start, "end": token.end, "scores": [score]}
        entities.append(current)
    for entity in entities:
        scores_of = entity.pop("scores")
        entity["value"] = text[entity["start"] : entity["end"]]
        entity["confidence_entity"] = float(sum(scores_of) / len(scores_of))
    return entities


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LemmaCRFEntityExtractor(GraphComponent, EntityExtractorMixin):
    """CRF entity extractor on folded lemmas and lexicon marks (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"c1": 0.05, "c2": 0.01, "max_iterations": 150, "window": 2}

    def __init__(
        self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource, crf: Any = None
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.crf = crf

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LemmaCRFEntityExtractor:
        return cls(config, model_storage, resource)

    def _features(self, message: Message) -> tuple[list[Token], list[dict[str, Any]]]:
        tokens = message.get(TOKENS) or []
        return tokens, sentence_features(message.get(TEXT) or "", tokens, int(self._config["window"]))

    def train(self, training_data: TrainingData) -> Resource:
        import sklearn_crfsuite

        features, labels = [], []
        for message in training_data.nlu_examples:
            tokens, feats = self._features(message)
            if not tokens:
                continue
            entities = self.filter_trainable_entities([message])[0].get(ENTITIES, [])
            features.append(feats)
            labels.append(bio_tags(tokens, entities))
        crf = sklearn_crfsuite.CRF(
            algorithm="lbfgs",
            c1=float(self._config["c1"]),
            c2=float(self._config["c2"]),
            max_iterations=int(self._config["max_iterations"]),
            all_possible_transitions=True,
        )
        if any(tag != OUTSIDE for tags in labels for tag in tags):
            crf.fit(features, labels)
            self.crf = crf
        with self._model_storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_bytes(pickle.dumps(self.crf))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LemmaCRFEntityExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                crf = pickle.loads((directory / MODEL_FILE).read_bytes())  # noqa: S301 - our own trained model
        except (ValueError, FileNotFoundError):
            crf = None
        return cls(config, model_storage, resource, crf)

    def extract(self, message: Message) -> list[dict[str, Any]]:
        tokens, feats = self._features(message)
        if self.crf is None or not tokens:
            return []
        tags = self.crf.predict_single(feats)
        marginals = self.crf.predict_marginals_single(feats)
        scores = [marginal.get(tag, 0.0) for marginal, tag in zip(marginals, tags, strict=True)]
        return decode(message.get(TEXT) or "", tokens, tags, scores)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = self.add_extractor_name(self.extract(message))
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages
