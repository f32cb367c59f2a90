"""Write this run's configs (ours, Rasa's default, feature variants) and variant data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.figures import DEFAULT, OURS
from bench.settings import NON_TOPIC_INTENTS, BenchError, BenchSettings
from bench.variants import (
    char_ngram_range,
    load_config,
    with_rasas_logistic_regression,
    with_response_selector,
    with_spacy_model,
    without_char_ngrams,
    without_lemmas,
    without_word_bigrams,
    write_config,
    write_response_selector_data,
)

RESPONSE_SELECTOR = "response_selector"


@dataclass(frozen=True)
class Prepared:
    """Config files and data written for this run, and what each variant changes."""

    configs: dict[str, Path]
    changes: dict[str, str]
    selector_data: Path

    @property
    def variants(self) -> list[str]:
        """The NLU-only variants of our pipeline."""
        return [name for name in self.configs if name not in (OURS, DEFAULT)]


def fallback_settings(config: dict[str, Any]) -> tuple[float, float]:
    """The FallbackClassifier's threshold and ambiguity threshold in a config."""
    for component in config["pipeline"]:
        if component["name"] == "FallbackClassifier":
            threshold = float(component.get("threshold", 0.3))
            return threshold, float(component.get("ambiguity_threshold", 0.1))
    raise BenchError("config.yml has no FallbackClassifier, so there is no threshold to sweep")


def char_range(config: dict[str, Any]) -> str:
    """Our character n-gram range, for the variant's description."""
    for component in config["pipeline"]:
        if component.get("analyzer") in ("char", "char_wb"):
            return f"{component.get('min_ngram', 1)}–{component.get('max_ngram', 1)}"
    return "none"


def prepare(settings: BenchSettings, spacy_model: Path) -> Prepared:
    """Write every config (quick runs: few epochs) and the response-selector data."""
    folder = settings.work_dir / "configs"
    ours = with_spacy_model(load_config(settings.our_config), spacy_model)
    epochs = settings.epochs_override
    variants = {
        "no_lemma": (without_lemmas, "word counts on surface forms (`use_lemma: false`)"),
        "no_char": (without_char_ngrams, "no character n-gram featurizer"),
        "char_1_4": (char_ngram_range(1, 4), f"char n-grams 1–4 instead of {char_range(ours)}"),
        # config.yml had 2–5 until issue 11; this row shows what 3–5 changed.
        "char_2_5": (char_ngram_range(2, 5), f"char n-grams 2–5 instead of {char_range(ours)}"),
        "no_word_bigrams": (without_word_bigrams, "single words only, no pairs of words"),
        "rasa_lr": (
            with_rasas_logistic_regression,
            "Rasa's LogisticRegressionClassifier (C = 1.0) instead of C = 10",
        ),
        RESPONSE_SELECTOR: (
            with_response_selector,
            "topics as retrieval intent `faq/<topic>` + ResponseSelector (100 epochs)",
        ),
    }
    default = load_config(settings.default_config)
    configs = {
        OURS: write_config(ours, folder / f"{OURS}.yml", epochs),
        DEFAULT: write_config(default, folder / f"{DEFAULT}.yml", epochs),
    }
    changes = {OURS: "none: config.yml as it is", DEFAULT: "Rasa's default pipeline"}
    for name, (variant, change) in variants.items():
        configs[name] = write_config(variant(ours), folder / f"{name}.yml", epochs)
        changes[name] = change
    selector_data = settings.work_dir / "data" / RESPONSE_SELECTOR / "nlu.yml"
    write_response_selector_data(
        settings.nlu_data.glob("*.yml"), settings.domain, NON_TOPIC_INTENTS, selector_data
    )
    return Prepared(configs, changes, selector_data)
