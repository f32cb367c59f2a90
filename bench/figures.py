"""The benchmark's results, and the issue's targets checked against them."""

from __future__ import annotations

from dataclasses import dataclass

from bench.crossval import CrossValidation
from bench.load import LoadResult
from bench.machine import Machine
from bench.metrics import IntentScores, OutOfDomainScores, SweepRow
from bench.server import ServerResult
from bench.steps import Trained
from bench.stories import StoryScores

OURS = "ours"
DEFAULT = "default"
# The limits. 1 GB is read as 10^9 bytes, the stricter reading.
MEMORY_LIMIT = 1_000_000_000
TRAINING_LIMIT = 5 * 60.0
FIRST_ANSWER_LIMIT = 30.0
THROUGHPUT_FACTOR = 2.0
P95_FACTOR = 0.5
TARGET_CONCURRENCY = 20
# Issue 11: messages outside the domain get out_of_scope or a request to rephrase.
OUT_OF_DOMAIN_TARGET = 0.97


@dataclass(frozen=True)
class PipelineFigures:
    """Everything measured for one pipeline."""

    label: str
    config: str
    trained: Trained
    server: ServerResult
    heldout: IntentScores
    unclear_fallback: float | None
    cross_validation: CrossValidation | None
    out_of_domain: OutOfDomainScores | None = None
    # The out-of-context stories with the intents they give, and with the model reading
    # each message (`--e2e`); None when the story file is not there.
    out_of_context: StoryScores | None = None
    out_of_context_e2e: StoryScores | None = None

    def level(self, concurrency: int) -> LoadResult | None:
        """The load-test result at one concurrency level, if it ran."""
        return next((r for r in self.server.levels if r.concurrency == concurrency), None)


@dataclass(frozen=True)
class FeatureRow:
    """Held-out scores of one variant of our pipeline."""

    name: str
    change: str
    scores: IntentScores
    training_seconds: float | None
    out_of_domain: OutOfDomainScores | None = None
    unclear_fallback: float | None = None


@dataclass(frozen=True)
class BenchResults:
    """One benchmark run."""

    machine: Machine
    quick: bool
    runtime_seconds: float
    spacy_build_seconds: float
    # Share of the machine's CPU that other processes took during the timed steps.
    contention_share: float
    contention_steps: dict[str, float]
    pipelines: dict[str, PipelineFigures]
    features: list[FeatureRow]
    sweep: list[SweepRow]
    ambiguity_sweep: list[SweepRow]
    configured_threshold: float
    configured_ambiguity: float
    heldout_examples: int
    unclear_examples: int
    messages_per_level: int
    conversation_length: int
    folds: int
    out_of_domain_examples: int = 0
    # The out-of-context story file as shown in reports, and whether it was there.
    out_of_context_stories: str = ""
    out_of_context_present: bool = False


@dataclass(frozen=True)
class Target:
    """One target from the issue, the figure it was checked against and the verdict."""

    requirement: str
    figure: str
    passed: bool


def targets(results: BenchResults) -> list[Target]:
    """Check the issue's targets for our pipeline against the default pipeline."""
    ours, default = results.pipelines[OURS], results.pipelines[DEFAULT]
    checks: list[Target] = []
    ours_level, default_level = ours.level(TARGET_CONCURRENCY), default.level(TARGET_CONCURRENCY)
    if ours_level and default_level:
        ratio = ours_level.throughput / default_level.throughput
        checks.append(
            Target(
                f"throughput at {TARGET_CONCURRENCY} conversations ≥ "
                f"{THROUGHPUT_FACTOR:g}× the default pipeline's",
                f"{ours_level.throughput:.1f} vs {default_level.throughput:.1f} msg/s "
                f"({ratio:.2f}×)",
                ratio >= THROUGHPUT_FACTOR and not ours_level.errors,
            )
        )
        share = ours_level.p95 / default_level.p95
        checks.append(
            Target(
                f"p95 latency at {TARGET_CONCURRENCY} conversations ≤ "
                f"{P95_FACTOR:g}× the default pipeline's",
                f"{ours_level.p95 * 1000:.0f} vs {default_level.p95 * 1000:.0f} ms ({share:.2f}×)",
                share <= P95_FACTOR,
            )
        )
    checks.append(
        Target(
            "no loss of held-out accuracy against the default pipeline",
            f"{ours.heldout.accuracy:.1%} vs {default.heldout.accuracy:.1%}",
            ours.heldout.accuracy >= default.heldout.accuracy,
        )
    )
    if ours.out_of_domain:
        checks.append(
            Target(
                f"out-of-domain messages answered out_of_scope or asked to rephrase ≥ "
                f"{OUT_OF_DOMAIN_TARGET:.0%}",
                f"{ours.out_of_domain.handled:.1%} of {ours.out_of_domain.examples}, "
                f"{len(ours.out_of_domain.misses)} missed",
                ours.out_of_domain.handled >= OUT_OF_DOMAIN_TARGET,
            )
        )
    peak = max(ours.server.memory_after_load.peak, ours.server.memory_after_load.rss)
    checks.append(
        Target(
            "Rasa server memory ≤ 1 GB (peak RSS, VmHWM)",
            f"{peak / 1e6:.0f} MB",
            peak <= MEMORY_LIMIT,
        )
    )
    checks.append(
        Target(
            "full training (`rasa train --force`) ≤ 5 min",
            f"{ours.trained.seconds:.0f} s",
            ours.trained.seconds <= TRAINING_LIMIT,
        )
    )
    checks.append(
        Target(
            "first answer ≤ 30 s after start",
            f"{ours.server.first_answer_seconds:.1f} s",
            ours.server.first_answer_seconds <= FIRST_ANSWER_LIMIT,
        )
    )
    return checks
