"""Rasa's own k-fold cross-validation, one fold per process so that folds run side by side.

Each fold is `rasa test nlu --cross-validation` restricted to one fold of the same seeded
split (bench.seeded_rasa); its successes and errors files hold every test prediction,
which pooled give the figures Rasa's intent report gives for a whole run.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from bench import commands
from bench.metrics import score
from bench.settings import BenchSettings

FOLD_TIMEOUT = 30 * 60


@dataclass(frozen=True)
class Fold:
    """One fold's test predictions (gold, predicted) and its accuracy as Rasa reports it."""

    index: int
    accuracy: float
    pairs: tuple[tuple[str, str], ...]
    seconds: float


@dataclass(frozen=True)
class CrossValidation:
    """Cross-validation figures for one pipeline."""

    folds: int
    fold_accuracy_mean: float
    fold_accuracy_std: float
    accuracy: float
    macro_f1: float
    examples: int
    seconds: float


def _predictions(path: Path) -> list[tuple[str, str]]:
    # Rasa writes a successes or errors file only when it has entries.
    if not path.exists():
        return []
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [(e["intent"], e["intent_prediction"]["name"]) for e in entries]


def run_fold(settings: BenchSettings, config: Path, name: str, index: int) -> Fold:
    """Train on all folds but `index` and test on it, with Rasa's cross-validation."""
    out = settings.work_dir / "cv" / name / f"fold-{index}"
    argv = commands.seeded_rasa_argv(
        settings.fold_seed,
        "--fold", str(index),
        "test", "nlu", "--nlu", str(settings.nlu_data), "--cross-validation",
        "--folds", str(settings.folds), "--config", str(config), "--out", str(out),
        "--successes", "--no-plot",
    )  # fmt: skip
    log = settings.work_dir / "logs" / f"cv-{name}-fold-{index}.log"
    finished = commands.run(argv, log, FOLD_TIMEOUT)
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    pairs = _predictions(out / "intent_successes.json") + _predictions(out / "intent_errors.json")
    return Fold(index, float(report["accuracy"]), tuple(pairs), finished.seconds)


def combine(folds: list[Fold]) -> CrossValidation:
    """Pool the folds' predictions (macro F1 over gold intents, as Rasa's intent report)."""
    pooled = score([pair for fold in folds for pair in fold.pairs])
    accuracies = [fold.accuracy for fold in folds]
    return CrossValidation(
        folds=len(folds),
        fold_accuracy_mean=statistics.fmean(accuracies),
        # Population standard deviation, as Rasa logs it.
        fold_accuracy_std=statistics.pstdev(accuracies),
        accuracy=pooled.accuracy,
        macro_f1=pooled.macro_f1,
        examples=pooled.examples,
        seconds=sum(fold.seconds for fold in folds),
    )
