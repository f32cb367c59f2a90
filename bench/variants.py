"""Pipeline variants for the feature comparison, and the response-selector variant's data."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from bench.settings import BenchError

Config = dict[str, Any]
RETRIEVAL_INTENT = "faq"
CHAR_ANALYZERS = ("char", "char_wb")


def load_config(path: Path) -> Config:
    """Read a Rasa config file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_config(config: Config, path: Path, epochs: int | None = None) -> Path:
    """Write a config, with every `epochs` set to `epochs` when given (quick runs)."""
    config = copy.deepcopy(config)
    if epochs is not None:
        for component in [*config.get("pipeline", []), *config.get("policies", [])]:
            if "epochs" in component:
                component["epochs"] = epochs
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def with_spacy_model(config: Config, model: Path) -> Config:
    """Point every SpacyNLP component at `model` (this run's own build of the pipeline)."""
    config = copy.deepcopy(config)
    for component in config["pipeline"]:
        if component["name"] == "SpacyNLP":
            component["model"] = str(model)
    return config


def _featurizers(config: Config, char: bool) -> list[dict[str, Any]]:
    found = [
        component
        for component in config["pipeline"]
        if component["name"] == "CountVectorsFeaturizer"
        and (component.get("analyzer", "word") in CHAR_ANALYZERS) == char
    ]
    if not found:
        kind = "character" if char else "word"
        raise BenchError(f"the pipeline has no {kind} CountVectorsFeaturizer to vary")
    return found


def without_lemmas(config: Config) -> Config:
    """Word counts on the surface form instead of the lemma."""
    config = copy.deepcopy(config)
    for component in _featurizers(config, char=False):
        component["use_lemma"] = False
    return config


def without_char_ngrams(config: Config) -> Config:
    """No character n-gram featurizer."""
    config = copy.deepcopy(config)
    _featurizers(config, char=True)
    config["pipeline"] = [
        component
        for component in config["pipeline"]
        if not (
            component["name"] == "CountVectorsFeaturizer"
            and component.get("analyzer") in CHAR_ANALYZERS
        )
    ]
    return config


def without_word_bigrams(config: Config) -> Config:
    """Word counts on single words only (no pairs of words)."""
    config = copy.deepcopy(config)
    for component in _featurizers(config, char=False):
        component.pop("max_ngram", None)
    return config


def with_rasas_logistic_regression(config: Config) -> Config:
    """Rasa's own LogisticRegressionClassifier (C fixed at 1.0) instead of the tuned one."""
    config = copy.deepcopy(config)
    classifiers = [
        c for c in config["pipeline"] if c["name"].endswith("LogisticRegressionClassifier")
    ]
    if not classifiers:
        raise BenchError("the pipeline has no logistic regression classifier to vary")
    for component in classifiers:
        component["name"] = "LogisticRegressionClassifier"
        component.pop("C", None)
    return config


def char_ngram_range(low: int, high: int) -> Callable[[Config], Config]:
    """Return a variant with character n-grams of lengths low..high."""

    def variant(config: Config) -> Config:
        config = copy.deepcopy(config)
        for component in _featurizers(config, char=True):
            component["min_ngram"], component["max_ngram"] = low, high
        return config

    return variant


def with_response_selector(config: Config) -> Config:
    """Add a ResponseSelector for the `faq` retrieval intent, as Rasa's default configures it."""
    config = copy.deepcopy(config)
    selector = {
        "name": "ResponseSelector",
        "epochs": 100,
        "constrain_similarities": True,
        "retrieval_intent": RETRIEVAL_INTENT,
    }
    pipeline = config["pipeline"]
    names = [component["name"] for component in pipeline]
    at = names.index("FallbackClassifier") if "FallbackClassifier" in names else len(pipeline)
    pipeline.insert(at, selector)
    return config


def retrieval_name(topic: str) -> str:
    """Return the retrieval intent that stands for a topic intent."""
    return f"{RETRIEVAL_INTENT}/{topic}"


def topic_of(label: str) -> str:
    """Return the topic intent of a retrieval intent (`faq/films` -> `films`)."""
    return label.split("/", 1)[1] if label.startswith(f"{RETRIEVAL_INTENT}/") else label


def write_response_selector_data(
    nlu_files: Iterable[Path], domain: Path, non_topic: Iterable[str], out: Path
) -> list[str]:
    """Write the NLU data with topic intents merged into `faq/<topic>`; return the topics."""
    keep = set(non_topic)
    responses = yaml.safe_load(domain.read_text(encoding="utf-8")).get("responses", {})
    items: list[dict[str, Any]] = []
    topics: list[str] = []
    for path in sorted(nlu_files):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            item = dict(item)
            intent = item.get("intent")
            if intent and intent not in keep and f"utter_{intent}" in responses:
                topics.append(intent)
                item["intent"] = retrieval_name(intent)
            items.append(item)
    texts = {
        f"utter_{retrieval_name(topic)}": [{"text": responses[f"utter_{topic}"][0]["text"]}]
        for topic in topics
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {"version": "3.1", "nlu": items, "responses": texts}
    out.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return sorted(set(topics))
