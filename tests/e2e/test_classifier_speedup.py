"""Our intent classifier's features and probabilities are Rasa's and scikit-learn's.

bot.nlp.components.TunedLogisticRegressionClassifier computes the multinomial model's
probabilities from weights it transposes once, instead of calling `predict_proba`
(which copies the weights for every message), and takes a message's sparse features as
they are, without Rasa's stacking of an empty dense block. Here the trained model reads the
held-out and out-of-domain messages, and for each one the probabilities and the
intent ranking must be those scikit-learn gives; the features, those Rasa builds.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import yaml

from bot.nlp.components import TunedLogisticRegressionClassifier
from bot.runtime.settings import PROJECT_ROOT
from tests.e2e.training_stories import loaded_model


def texts(name: str) -> list[str]:
    data = yaml.safe_load((PROJECT_ROOT / "tests" / "nlu" / name).read_text(encoding="utf-8"))
    return [
        line.removeprefix("- ").strip()
        for block in data["nlu"]
        for line in block["examples"].splitlines()
        if line.strip()
    ]


@pytest.fixture(scope="module")
def parsed(trained_model):
    """Each message's features, the probabilities we computed and the ranking Rasa gave."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    agent, components = loaded_model(trained_model)
    classifier = next(c for c in components if isinstance(c, TunedLogisticRegressionClassifier))
    seen: list[tuple[object, np.ndarray]] = []
    features, probabilities = classifier.features, classifier.predict_proba

    def recording_features(messages):
        X = features(messages)
        # The features are exactly those Rasa's own method gives.
        rasas = LogisticRegressionClassifier._create_X(classifier, messages)
        assert X.shape == rasas.shape and (rasas != X).nnz == 0
        return X

    def recording(X):
        computed = probabilities(X)
        seen.append((X, computed))
        return computed

    classifier.features = recording_features
    classifier.predict_proba = recording
    messages = texts("heldout.yml") + texts("out_of_domain.yml")

    async def parse() -> list[dict]:
        return [await agent.parse_message(text) for text in messages]

    results = asyncio.run(parse())
    return classifier, seen, results


def test_the_probabilities_are_scikit_learns(parsed):
    classifier, seen, results = parsed
    assert len(seen) == len(results) > 500
    for X, probabilities in seen:
        np.testing.assert_allclose(probabilities, classifier.clf.predict_proba(X), atol=1e-12)


def test_the_intent_and_its_ranking_are_those_scikit_learn_gives(parsed):
    classifier, seen, results = parsed
    names = list(classifier.clf.classes_)
    for (X, _), result in zip(seen, results, strict=True):
        expected = classifier.clf.predict_proba(X)[0]
        ranking = result["intent_ranking"]
        top = [entry["name"] for entry in ranking if entry["name"] in names]
        assert top[0] == names[int(np.argmax(expected))]
        confidences = [entry["confidence"] for entry in ranking if entry["name"] in names]
        assert confidences == sorted(confidences, reverse=True)
