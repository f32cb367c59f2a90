"""The tuned logistic regression takes its regularisation strength from config.yml."""

from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from bot.nlp.components import TunedLogisticRegressionClassifier


def create(tmp_path, **config) -> TunedLogisticRegressionClassifier:
    return TunedLogisticRegressionClassifier.create(
        {**TunedLogisticRegressionClassifier.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource("classifier"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def test_c_from_the_config_reaches_scikit_learn(tmp_path):
    assert create(tmp_path, C=10).clf.C == 10.0


def test_without_c_it_is_rasas_classifier(tmp_path):
    classifier = create(tmp_path)
    assert classifier.clf.C == 1.0
    assert classifier.clf.class_weight == "balanced"
