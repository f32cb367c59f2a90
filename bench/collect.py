"""Turn one run's raw measurements into the figures the reports show."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.contention import Contention
from bench.crossval import CrossValidation
from bench.figures import DEFAULT, OURS, BenchResults, FeatureRow, PipelineFigures
from bench.machine import Machine
from bench.metrics import (
    FALLBACK,
    out_of_domain_scores,
    pairs_of,
    predicted_intent,
    predicted_topic,
    score,
    sweep_row,
)
from bench.prepare import RESPONSE_SELECTOR, Prepared, fallback_settings
from bench.server import ServerResult
from bench.settings import BenchSettings
from bench.steps import Trained
from bench.stories import StoryScores
from bench.variants import load_config
from bot.runtime.settings import PROJECT_ROOT

# Predictions by model name, then by data set (file stem).
Predictions = dict[str, dict[str, list[dict[str, Any]]]]


@dataclass
class Measured:
    """Raw measurements of one run, filled in step by step."""

    machine: Machine
    contention: Contention
    spacy_seconds: float = 0.0
    trained: dict[str, Trained] = field(default_factory=dict)
    servers: dict[str, ServerResult] = field(default_factory=dict)
    variants: dict[str, Trained] = field(default_factory=dict)
    cross_validations: dict[str, CrossValidation | None] = field(default_factory=dict)
    predictions: Predictions = field(default_factory=dict)
    # The out-of-context stories by pipeline: (with the stories' intents, with --e2e).
    stories: dict[str, tuple[StoryScores | None, StoryScores | None]] = field(default_factory=dict)


def relative(path: Path) -> str:
    """A path as shown in reports: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _fallback_share(predictions: list[dict[str, Any]]) -> float | None:
    if not predictions:
        return None
    return sum(p["intent"] == FALLBACK for p in predictions) / len(predictions)


def collect(
    settings: BenchSettings,
    source: BenchSettings,
    prepared: Prepared,
    measured: Measured,
    runtime_seconds: float,
) -> BenchResults:
    """Score the predictions and gather everything the reports show."""
    heldout, unclear = settings.heldout.stem, settings.unclear.stem
    ood = settings.out_of_domain.stem
    predictions = measured.predictions
    pipelines = {
        name: PipelineFigures(
            label=name,
            config=relative(config),
            trained=measured.trained[name],
            server=measured.servers[name],
            heldout=score(pairs_of(predictions[name][heldout])),
            unclear_fallback=_fallback_share(predictions[name].get(unclear, [])),
            cross_validation=measured.cross_validations.get(name),
            out_of_domain=out_of_domain_scores(predictions[name].get(ood, [])),
            out_of_context=measured.stories.get(name, (None, None))[0],
            out_of_context_e2e=measured.stories.get(name, (None, None))[1],
        )
        for name, config in ((OURS, source.our_config), (DEFAULT, source.default_config))
    }
    features = []
    for name in [OURS, *prepared.variants, DEFAULT]:
        label = predicted_topic if name == RESPONSE_SELECTOR else predicted_intent
        scores = score(pairs_of(predictions[name][heldout], label))
        seconds = measured.variants[name].seconds if name in measured.variants else None
        features.append(
            FeatureRow(
                name,
                prepared.changes[name],
                scores,
                seconds,
                out_of_domain=out_of_domain_scores(predictions[name].get(ood, []), label),
                unclear_fallback=_fallback_share(predictions[name].get(unclear, [])),
            )
        )
    threshold, ambiguity = fallback_settings(load_config(settings.our_config))
    ours_heldout = predictions[OURS][heldout]
    ours_unclear = predictions[OURS].get(unclear, [])
    ours_ood = predictions[OURS].get(ood, [])
    return BenchResults(
        machine=measured.machine,
        quick=settings.quick,
        runtime_seconds=runtime_seconds,
        spacy_build_seconds=measured.spacy_seconds,
        contention_share=measured.contention.share,
        contention_steps=dict(measured.contention.steps),
        pipelines=pipelines,
        features=features,
        sweep=[
            sweep_row(ours_heldout, ours_unclear, t, ambiguity, ours_ood)
            for t in settings.thresholds
        ],
        ambiguity_sweep=[
            sweep_row(ours_heldout, ours_unclear, threshold, a, ours_ood)
            for a in settings.ambiguity_thresholds
        ],
        configured_threshold=threshold,
        configured_ambiguity=ambiguity,
        heldout_examples=len(ours_heldout),
        unclear_examples=len(ours_unclear),
        messages_per_level=settings.messages_per_level,
        conversation_length=settings.conversation_length,
        folds=settings.folds,
        out_of_domain_examples=len(ours_ood),
        out_of_context_stories=relative(source.out_of_context_stories),
        out_of_context_present=settings.out_of_context_stories.exists(),
    )
