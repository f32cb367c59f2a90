"""`make bench`: our pipeline beside Rasa's default pipeline, written to bench/results/.

Trains both pipelines on the same data, times training, runs each model behind the REST
channel to time the first answer and load it at 1 and 20 concurrent conversations,
scores both on the held-out set and in Rasa's cross-validation, and compares feature
variants of our pipeline and fallback thresholds. Then the scale bench (`bench.scale`,
bench/results/scale.md) loads one machine, the cluster and Rasa's starter bot with
visitors' conversations and soaks the cluster. readability.md gives the LIX of every
text in its three variants (`bench.readability`). `--quick` is a smoke run.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench import commands, console, readability, steps
from bench.collect import Measured, collect, relative
from bench.contention import Contention
from bench.crossval import combine, run_fold
from bench.examples import example_texts
from bench.figures import DEFAULT, OURS, BenchResults
from bench.jobs import run_jobs
from bench.machine import describe
from bench.prepare import RESPONSE_SELECTOR, Prepared, prepare
from bench.processes import require_free_ports
from bench.report import features_markdown, summary_markdown
from bench.scale import run as scale
from bench.scale.settings import ScaleSettings
from bench.server import bench_ports, measure_server
from bench.settings import BenchError, BenchSettings
from bench.snapshot import snapshot_dir, take_snapshot
from bench.steps import Trained
from bench.stories import run_stories

# Above this share of the CPU taken by other processes, a timed step is announced as such.
QUIET_LIMIT = 0.15


def check_prerequisites(settings: BenchSettings) -> None:
    """Fail early, before any training, when the bench cannot finish."""
    for path in (settings.our_config, settings.default_config, settings.heldout):
        if not path.exists():
            raise BenchError(f"{relative(path)} is missing")
    require_free_ports(bench_ports(settings))
    if settings.scale:
        scale.check_prerequisites(scale_settings(settings))


def scale_settings(settings: BenchSettings) -> ScaleSettings:
    """The scale bench's settings for this run: quick with it, its report beside ours."""
    base = ScaleSettings().quick_variant() if settings.quick else ScaleSettings()
    return dataclasses.replace(base, results_dir=settings.results_dir)


def quiet(contention: Contention) -> None:
    """Before a timed step, give other processes on a shared machine time to settle."""
    share = contention.wait_for_quiet(limit=QUIET_LIMIT)
    if share >= QUIET_LIMIT:
        console.say(f"  other processes use {share:.0%} of the CPU; timing anyway")


def timed_steps(settings: BenchSettings, prepared: Prepared, measured: Measured) -> None:
    """Build, train and serve, one step at a time with nothing of ours beside it."""
    contention = measured.contention
    console.say("building our spaCy pipeline from the data (as make setup does)")
    quiet(contention)
    with contention.measure("spaCy build"):
        measured.spacy_seconds = steps.build_spacy(settings, snapshot_dir(settings) / "sv_asf")
    for name in (OURS, DEFAULT):
        console.say(f"training {name} (rasa train --force)")
        quiet(contention)
        with contention.measure(f"{name} training"):
            trained = steps.train_full(settings, prepared.configs[name], name)
        measured.trained[name] = trained
        console.say(f"  {trained.seconds:.0f} s, {trained.size / 1e6:.1f} MB")
    texts = example_texts(settings.heldout)
    for name, trained in measured.trained.items():
        ports = "/".join(str(port) for port in bench_ports(settings).values())
        console.say(f"serving the {name} model on ports {ports}")
        quiet(contention)
        log = settings.work_dir / "logs" / f"server-{name}.log"
        with contention.measure(f"{name} server"), console.output_to(log):
            server = measure_server(settings, trained.model, name, texts)
        measured.servers[name] = server
        level = server.levels[-1]
        console.say(
            f"  first answer {server.first_answer_seconds:.1f} s; at {level.concurrency} "
            f"conversations {level.throughput:.1f} msg/s, p95 {level.p95 * 1000:.0f} ms"
        )


def accuracy_steps(settings: BenchSettings, prepared: Prepared, measured: Measured) -> None:
    """Cross-validate, train the NLU variants, then parse the held-out sets with every model."""
    # Nothing here is timed, so the steps run two at a time, longest first: the default
    # pipeline's folds (DIET, 100 epochs) and the response selector take most of the time.
    jobs: dict[str, Callable[[], Any]] = {}
    folds = range(settings.folds) if settings.cross_validation else range(0)
    for index in folds:
        jobs[f"{DEFAULT} fold {index}"] = partial(
            run_fold, settings, prepared.configs[DEFAULT], DEFAULT, index
        )
    variants = sorted(prepared.variants, key=lambda name: name != RESPONSE_SELECTOR)
    for name in variants[:1]:
        jobs[f"NLU variant {name}"] = partial(_train_variant, settings, prepared, name)
    for index in folds:
        jobs[f"{OURS} fold {index}"] = partial(
            run_fold, settings, prepared.configs[OURS], OURS, index
        )
    for name in variants[1:]:
        jobs[f"NLU variant {name}"] = partial(_train_variant, settings, prepared, name)
    results = run_jobs(jobs, workers=2)
    for name in variants:
        measured.variants[name] = results[f"NLU variant {name}"]
    if settings.cross_validation:
        for pipeline in (OURS, DEFAULT):
            measured.cross_validations[pipeline] = combine(
                [results[f"{pipeline} fold {index}"] for index in folds]
            )
    console.say("parsing the held-out sets with every model")
    models = {name: t.model for name, t in {**measured.trained, **measured.variants}.items()}
    optional = [settings.unclear, settings.out_of_domain]
    datasets = [settings.heldout] + [path for path in optional if path.exists()]
    measured.predictions = steps.parse_sets(settings, models, datasets)
    story_steps(settings, measured)


def story_steps(settings: BenchSettings, measured: Measured) -> None:
    """Run the out-of-context stories with each full model, as written and with --e2e."""
    stories = settings.out_of_context_stories
    if not stories.exists():
        console.say(f"{stories.name} is not present; no out-of-context figures")
        return
    console.say(f"running {stories.name} with both models")
    jobs: dict[str, Callable[[], Any]] = {}
    for name in (OURS, DEFAULT):
        model = measured.trained[name].model
        for e2e in (False, True):
            jobs[f"{name} stories e2e={e2e}"] = partial(
                run_stories, settings, model, stories, name, e2e
            )
    results = run_jobs(jobs, workers=2)
    for name in (OURS, DEFAULT):
        measured.stories[name] = (
            results[f"{name} stories e2e=False"],
            results[f"{name} stories e2e=True"],
        )


def _train_variant(settings: BenchSettings, prepared: Prepared, name: str) -> Trained:
    data = prepared.selector_data if name == RESPONSE_SELECTOR else settings.nlu_data
    return steps.train_nlu(settings, prepared.configs[name], data, name)


def run_bench(source: BenchSettings) -> BenchResults:
    """Run every step and return the results."""
    started = time.perf_counter()
    check_prerequisites(source)
    measured = Measured(machine=describe(), contention=Contention())
    # The repository may change while the bench runs; every step reads these copies.
    settings = take_snapshot(source)
    prepared = prepare(settings, snapshot_dir(settings) / "sv_asf")
    timed_steps(settings, prepared, measured)
    accuracy_steps(settings, prepared, measured)
    return collect(settings, source, prepared, measured, time.perf_counter() - started)


def write_reports(results: BenchResults, folder: Path) -> list[Path]:
    """Write summary.md, features.md and readability.md."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("summary.md", summary_markdown(results)),
        ("features.md", features_markdown(results)),
    ):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    written.append(readability.write_report(folder / "readability.md"))
    return written


def parse_args(argv: list[str] | None) -> BenchSettings:
    """Settings from the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fast smoke run (to bench/work)")
    parser.add_argument("--rasa-port", type=int, default=BenchSettings.rasa_port)
    parser.add_argument("--action-port", type=int, default=BenchSettings.action_port)
    parser.add_argument("--web-port", type=int, default=BenchSettings.web_port)
    parser.add_argument("--mail-port", type=int, default=BenchSettings.mail_port)
    parser.add_argument("--results-dir", type=Path, help="where the Markdown files go")
    parser.add_argument(
        "--no-scale", action="store_true", help="leave out the scale bench (scale.md)"
    )
    args = parser.parse_args(argv)
    settings = BenchSettings(
        rasa_port=args.rasa_port,
        action_port=args.action_port,
        web_port=args.web_port,
        mail_port=args.mail_port,
        scale=not args.no_scale,
    )
    if args.quick:
        settings = settings.quick_variant()
    if args.results_dir:
        settings = dataclasses.replace(settings, results_dir=args.results_dir)
    return settings


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    settings = parse_args(argv)

    def work() -> None:
        results = run_bench(settings)
        for path in write_reports(results, settings.results_dir):
            console.say(f"wrote {relative(path)}")
        console.say(f"  NLU bench in {results.runtime_seconds / 60:.1f} min")
        if settings.scale:
            console.say("the scale bench (python -m bench.scale)")
            scaled = scale.run_scale(scale_settings(settings))
            console.say(f"wrote {relative(scale.write_report(scaled, settings.results_dir))}")
            console.say(f"  scale bench in {scaled.runtime_seconds / 60:.1f} min")
        console.say(f"done in {console.elapsed_minutes():.1f} min")

    return commands.bench_main(work)


if __name__ == "__main__":
    sys.exit(main())
