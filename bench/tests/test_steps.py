"""Reading Rasa's cross-validation log."""

from __future__ import annotations

import math

from bench.steps import fold_accuracy

LOG = """\
INFO     rasa.model_testing  - Intent evaluation results
INFO     rasa.nlu.test  - train Accuracy: 1.000 (0.000)
INFO     rasa.nlu.test  - test Accuracy: 0.932 (0.011)
INFO     rasa.nlu.test  - test F1-score: 0.931 (0.012)
INFO     rasa.model_testing  - Entity evaluation results
INFO     rasa.nlu.test  - Entity extractor: RegexEntityExtractor
INFO     rasa.nlu.test  - test Accuracy: 0.994 (0.001)
"""


def test_the_fold_accuracy_is_the_intents_not_an_entity_extractors():
    assert fold_accuracy(LOG) == (0.932, 0.011)


def test_a_log_without_intent_results_gives_no_figure():
    assert all(math.isnan(v) for v in fold_accuracy("nothing here"))
