"""The benchmark's Rasa steps: build, train, and parse the held-out sets."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import commands
from bench.nlu_eval import output_path
from bench.settings import BenchError, BenchSettings

# Generous limits: a step that hangs must not hang the benchmark.
TRAIN_TIMEOUT = 30 * 60
EVAL_TIMEOUT = 20 * 60


@dataclass(frozen=True)
class Trained:
    """A trained model, how long training took and how big it is."""

    model: Path
    seconds: float
    cpu_seconds: float
    size: int


def train_full(settings: BenchSettings, config: Path, name: str) -> Trained:
    """`rasa train --force` (NLU and dialogue) with wall-clock time and model size."""
    out = settings.work_dir / "models"
    argv = commands.rasa_argv(
        "train", "--force", "--config", str(config), "--domain", str(settings.domain),
        "--data", str(settings.training_data), "--out", str(out), "--fixed-model-name", name,
    )  # fmt: skip
    finished = commands.run(argv, settings.work_dir / "logs" / f"train-{name}.log", TRAIN_TIMEOUT)
    model = out / f"{name}.tar.gz"
    return Trained(model, finished.seconds, finished.cpu_seconds, model.stat().st_size)


def train_nlu(settings: BenchSettings, config: Path, data: Path, name: str) -> Trained:
    """`rasa train nlu` on `data`."""
    out = settings.work_dir / "models" / "nlu"
    argv = commands.rasa_argv(
        "train", "nlu", "--config", str(config), "--nlu", str(data),
        "--out", str(out), "--fixed-model-name", name,
    )  # fmt: skip
    log = settings.work_dir / "logs" / f"train-nlu-{name}.log"
    finished = commands.run(argv, log, TRAIN_TIMEOUT)
    model = out / f"{name}.tar.gz"
    return Trained(model, finished.seconds, finished.cpu_seconds, model.stat().st_size)


def build_spacy(settings: BenchSettings, output: Path) -> float:
    """Build our spaCy pipeline from the NLU data as `make setup` does; return the seconds."""
    argv = [
        sys.executable, "-m", "bot.nlp.build",
        "--data", str(settings.nlu_data), "--output", str(output),
    ]  # fmt: skip
    return commands.run(argv, settings.work_dir / "logs" / "spacy-build.log", TRAIN_TIMEOUT).seconds


def parse_sets(
    settings: BenchSettings, models: dict[str, Path], datasets: list[Path]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Parse each data set with each model; return predictions by model name and set stem."""
    out = settings.work_dir / "eval"
    argv = [sys.executable, "-m", "bench.nlu_eval", "--out", str(out)]
    for model in models.values():
        argv += ["--model", str(model)]
    for path in datasets:
        argv += ["--data", str(path)]
    commands.run(argv, settings.work_dir / "logs" / "parse-sets.log", EVAL_TIMEOUT)
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, model in models.items():
        results[name] = {}
        for path in datasets:
            file = output_path(out, model, path)
            if not file.exists():
                raise BenchError(f"no predictions in {file}; see the parse-sets log")
            results[name][path.stem] = json.loads(file.read_text(encoding="utf-8"))
    return results
