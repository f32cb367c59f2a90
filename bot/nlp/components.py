"""Custom Rasa NLU components."""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, vstack
from sklearn.utils.extmath import softmax

from bot.domain.language import detect_language

LANGUAGE_ENTITY = "language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Mark the language of a message with the entity `language`: `en` or `sv`.

    The entity fills the slot `language` (domain.yml), and every response and action
    answers in that language from then on. Messages that do not tell ("ja", "ok", an
    e-mail address, a button's payload) get no entity and leave the language as it was.
    Doing this inside the NLU pipeline, instead of in a custom action, spares every
    message a round trip to the action server (see bench/results/).
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Add `language: en` or `language: sv` to the entities of a message that tells."""
        for message in messages:
            text = message.get(TEXT) or ""
            detection = detect_language(text)
            if detection is None:
                continue
            entity = {
                "entity": LANGUAGE_ENTITY,
                "value": detection.language,
                "start": detection.start,
                "end": detection.end,
                "confidence": 1.0,
            }
            entities = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with its regularisation strength `C` configurable.

    Rasa fixes C at scikit-learn's 1.0. On this data that spreads the probability over
    the 40-odd intents so thinly that right answers fall below the fallback threshold;
    a weaker regularisation (C: 10 in config.yml) keeps them above it while unclear
    messages still fall back (bench/results/features.md, variant `rasa_lr`).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Rasa's defaults plus C (scikit-learn's default, 1.0)."""
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        # A trained model loaded later replaces clf with the stored one, C included.
        self.clf.C = float(self.config["C"])
        # The weights, transposed and contiguous, for the classifier `clf` then held.
        self._weights: tuple[Any, np.ndarray] | None = None

    def process(self, messages: list[Message]) -> list[Message]:
        """Rasa's `process`, with the features and probabilities from the methods below."""
        probabilities = self.predict_proba(self.features(messages))
        intents = self.clf.classes_
        for message, row in zip(messages, probabilities, strict=True):
            ranking = sorted(
                (
                    {"name": name, "confidence": value}
                    for name, value in zip(intents, row, strict=True)
                ),
                key=lambda entry: -entry["confidence"],
            )
            message.set("intent", ranking[0], add_to_output=True)
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def features(self, messages: list[Message]) -> csr_matrix:
        """Rasa's `_create_X` for messages with sentence features from sparse featurizers only.

        Rasa stacks an empty dense block beside every message's sparse features, which
        costs scipy more than the classification itself; without dense features the
        rows are the sparse features as they are. Anything else goes to Rasa's method.
        """
        rows = []
        for message in messages:
            sparse = message.get_sparse_features(attribute=TEXT)[1]
            dense = message.get_dense_features(attribute=TEXT)[1]
            if sparse is None or dense is not None:
                return self._create_X(messages)
            rows.append(csr_matrix(sparse.features))
        return rows[0] if len(rows) == 1 else vstack(rows, format="csr")

    def predict_proba(self, X: csr_matrix) -> np.ndarray:
        """scikit-learn's `predict_proba` for the multinomial model, without its cost per call.

        scikit-learn multiplies the message's features by `coef_.T`, a transposed view that
        scipy copies into a contiguous array every time: about 3 ms a message for 37
        intents and 24 000 features, an eighth of the Rasa server's time under load. Here
        the transposed weights are made once per trained classifier; the sums are the
        same (tests/e2e/test_classifier_speedup.py compares them on the trained model).
        """
        clf = self.clf
        if clf.multi_class == "ovr" or clf.solver == "liblinear" or clf.classes_.size <= 2:
            return clf.predict_proba(X)
        if self._weights is None or self._weights[0] is not clf.coef_:
            self._weights = (clf.coef_, np.ascontiguousarray(clf.coef_.T))
        scores = np.asarray(X @ self._weights[1]) + clf.intercept_
        return softmax(scores, copy=False)
