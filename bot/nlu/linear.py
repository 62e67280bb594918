"""Linear (scikit-learn) intent classifier and FAQ selector.

Rasa's TensorFlow components (DIET, ResponseSelector) cost ~50 ms a message on our 2 cores; a
logistic regression over the same sparse CountVectors features costs about 1 ms and trains in
seconds (RASA_NOTES.md §4, measured in `make bench`).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, vstack
from sklearn.linear_model import LogisticRegression

from core.rules import load_yaml, loaded_once
from core.text import fold_words

LOG = logging.getLogger(__name__)


def _features(messages: List[Message]) -> csr_matrix:
    """Sentence-level sparse features of each message, stacked (as Rasa's own classifier does)."""
    rows = []
    for message in messages:
        sparse = message.get_sparse_features(attribute=TEXT)[1]
        rows.append(csr_matrix(sparse.features if sparse is not None else []))
    return vstack(rows).tocsr()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    """Rasa's logistic-regression classifier with the regularisation strength `C` configurable.

    The stock component fixes C=1, which on 30 intents spreads probability so thin that no
    fallback threshold separates right from wrong; a larger C sharpens confident predictions.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 10.0, "max_iter": 500}

    def __init__(self, config: Dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=self.config["C"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in super().process(messages):
            require_cues(message)
        return messages


def require_cues(message: Message) -> None:
    """An intent that throws away what was typed (`cancel`) without its words in the message is dropped
    and the rest renormalised: the likeliest other meaning wins (core/rules/entities.yaml intent_cues)."""
    ranking = message.get("intent_ranking") or []
    if not ranking or ranking[0]["name"] not in intent_cues():
        return
    top = ranking[0]
    if intent_cues()[top["name"]].search(fold_words(message.get(TEXT) or "").lower()):
        return
    rest = 1.0 - float(top["confidence"])
    if len(ranking) < 2 or rest <= 0:
        return
    others = [{"name": r["name"], "confidence": float(r["confidence"]) / rest} for r in ranking[1:]]
    message.set("intent", others[0], add_to_output=True)
    message.set("intent_ranking", [*others, {"name": top["name"], "confidence": 0.0}], add_to_output=True)


@loaded_once
def intent_cues() -> Dict[str, re.Pattern[str]]:
    return {name: re.compile(pattern) for name, pattern in load_yaml("entities.yaml").get("intent_cues", {}).items()}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearFaqSelector(GraphComponent):
    """Picks the FAQ sub-intent (`faq/documents`, ...) the way Rasa's ResponseSelector reports it,
    so the stock `utter_faq` retrieval action answers with `utter_faq/<topic>`."""

    RETRIEVAL_INTENT = "faq"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"C": 10.0, "max_iter": 500, "random_state": 42}

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self.clf: LogisticRegression | None = None
        self.responses: Dict[str, List[Dict[str, Any]]] = {}
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearFaqSelector:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            example
            for example in training_data.intent_examples
            if example.get(INTENT) == self.RETRIEVAL_INTENT and example.get(INTENT_RESPONSE_KEY)
        ]
        if examples:
            self.clf = LogisticRegression(
                C=self.config["C"],
                max_iter=self.config["max_iter"],
                random_state=self.config["random_state"],
                class_weight="balanced",
            )
            self.clf.fit(_features(examples), [example.get(INTENT_RESPONSE_KEY) for example in examples])
            self.responses = {
                key: value
                for key, value in training_data.responses.items()
                if key.startswith(f"utter_{self.RETRIEVAL_INTENT}/")
            }
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self.clf is None:
            return messages
        probabilities = self.clf.predict_proba(_features(messages))
        for message, row in zip(messages, probabilities, strict=True):
            pairs = zip(self.clf.classes_, row, strict=True)
            ranking = sorted(
                ({"intent_response_key": key, "confidence": float(p)} for key, p in pairs),
                key=lambda item: -item["confidence"],
            )
            top = ranking[0]
            utter = f"utter_{top['intent_response_key']}"
            selector = message.get("response_selector", {})
            selector["all_retrieval_intents"] = [self.RETRIEVAL_INTENT]
            selector[self.RETRIEVAL_INTENT] = {
                "response": {
                    "responses": self.responses.get(utter, []),
                    "confidence": top["confidence"],
                    "intent_response_key": top["intent_response_key"],
                    "utter_action": utter,
                },
                "ranking": ranking[:5],
            }
            message.set("response_selector", selector, add_to_output=True)
        return messages

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            if self.clf is not None:
                sio.dump(self.clf, directory / "faq_selector.skops")
            (directory / "responses.json").write_text(json.dumps(self.responses, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearFaqSelector:
        import skops.io as sio

        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / "faq_selector.skops"
                if path.exists():
                    untrusted = sio.get_untrusted_types(file=path)
                    if untrusted:  # a LogisticRegression holds only trusted types; refuse anything else
                        raise ValueError(f"untrusted types in {path}: {untrusted}")
                    component.clf = sio.load(path, trusted=[])
                component.responses = json.loads((directory / "responses.json").read_text(encoding="utf-8"))
        except ValueError:
            LOG.debug("No trained FAQ selector found in %s", resource.name)
        return component
