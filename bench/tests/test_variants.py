"""Pipeline variants and the response-selector data written from the project's files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.settings import NON_TOPIC_INTENTS, BenchError
from bench.variants import (
    char_ngram_range,
    load_config,
    with_rasas_logistic_regression,
    with_response_selector,
    without_char_ngrams,
    without_lemmas,
    without_word_bigrams,
    write_config,
    write_response_selector_data,
)
from bot.runtime.settings import PROJECT_ROOT


@pytest.fixture
def ours() -> dict:
    return load_config(PROJECT_ROOT / "config.yml")


def featurizers(config: dict) -> list[dict]:
    return [c for c in config["pipeline"] if c["name"] == "CountVectorsFeaturizer"]


def test_without_lemmas_changes_only_the_word_featurizer(ours):
    word, char = featurizers(without_lemmas(ours))
    assert word["use_lemma"] is False
    assert char == featurizers(ours)[1]


def test_without_char_ngrams_keeps_the_word_featurizer(ours):
    variant = without_char_ngrams(ours)
    assert [c.get("analyzer", "word") for c in featurizers(variant)] == ["word"]
    with pytest.raises(BenchError):
        without_char_ngrams(variant)


def test_char_range_sets_both_ends(ours):
    char = featurizers(char_ngram_range(1, 4)(ours))[1]
    assert (char["min_ngram"], char["max_ngram"]) == (1, 4)


def test_without_word_bigrams_counts_single_words_only(ours):
    assert featurizers(ours)[0]["max_ngram"] == 2
    word, char = featurizers(without_word_bigrams(ours))
    assert "max_ngram" not in word
    assert char == featurizers(ours)[1]


def test_rasas_logistic_regression_replaces_the_tuned_one(ours):
    names = [c["name"] for c in with_rasas_logistic_regression(ours)["pipeline"]]
    assert "LogisticRegressionClassifier" in names
    assert not any("Tuned" in name for name in names)
    classifier = next(
        c
        for c in with_rasas_logistic_regression(ours)["pipeline"]
        if c["name"] == "LogisticRegressionClassifier"
    )
    assert "C" not in classifier


def test_the_response_selector_comes_before_the_fallback(ours):
    names = [c["name"] for c in with_response_selector(ours)["pipeline"]]
    assert names.index("ResponseSelector") == names.index("FallbackClassifier") - 1


def test_quick_configs_train_few_epochs(tmp_path):
    default = load_config(PROJECT_ROOT / "bench" / "configs" / "default.yml")
    written = load_config(write_config(default, tmp_path / "c.yml", epochs=3))
    epochs = [c["epochs"] for c in written["pipeline"] + written["policies"] if "epochs" in c]
    assert epochs and set(epochs) == {3}


def test_topic_intents_become_retrieval_intents_with_responses(tmp_path: Path):
    out = tmp_path / "nlu.yml"
    topics = write_response_selector_data(
        (PROJECT_ROOT / "data" / "nlu").glob("*.yml"),
        PROJECT_ROOT / "domain.yml",
        NON_TOPIC_INTENTS,
        out,
    )
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    intents = {item["intent"] for item in document["nlu"] if "intent" in item}
    assert "faq/what_is_asf" in intents and "greet" in intents
    assert not set(topics) & set(NON_TOPIC_INTENTS)
    assert set(document["responses"]) == {f"utter_faq/{t}" for t in topics}


def test_intents_without_their_own_answer_stay_intents(tmp_path: Path):
    out = tmp_path / "nlu.yml"
    write_response_selector_data(
        (PROJECT_ROOT / "data" / "nlu").glob("*.yml"),
        PROJECT_ROOT / "domain.yml",
        NON_TOPIC_INTENTS,
        out,
    )
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    kept = {i["intent"] for i in document["nlu"] if "intent" in i and "/" not in i["intent"]}
    assert all(i in NON_TOPIC_INTENTS or f"utter_{i}" not in responses for i in kept)
