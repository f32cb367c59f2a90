"""The Markdown reports: out-of-domain and out-of-context figures beside the others."""

from __future__ import annotations

import dataclasses

from bench.figures import DEFAULT, OURS, BenchResults, FeatureRow, PipelineFigures, targets
from bench.load import LoadResult
from bench.machine import Machine
from bench.metrics import IntentScores, OutOfDomainScores, SweepRow
from bench.processes import Memory
from bench.report import NOT_PRESENT, features_markdown, summary_markdown
from bench.server import ServerResult
from bench.steps import Trained
from bench.stories import StoryScores

SCORES = IntentScores(examples=10, accuracy=0.9, macro_f1=0.9, fallback_rate=0.0, wrong_rate=0.1)


def pipeline(name: str, ood: OutOfDomainScores | None, stories: StoryScores | None):
    level = LoadResult(20, 40, 40, 0, 0, 2.0, (0.1, 0.2), False)
    memory = Memory(rss=500_000_000, peak=600_000_000, processes=1)
    server = ServerResult(5.0, 6.0, memory, memory, (level,), (0.01, 0.02))
    return PipelineFigures(
        label=name,
        config=f"{name}.yml",
        trained=Trained(model=None, seconds=30.0, cpu_seconds=40.0, size=3_000_000),
        server=server,
        heldout=SCORES,
        unclear_fallback=1.0,
        cross_validation=None,
        out_of_domain=ood,
        out_of_context=stories,
        out_of_context_e2e=stories and dataclasses.replace(stories, intents=4, intents_right=3),
    )


def results(stories: StoryScores | None) -> BenchResults:
    ours_ood = OutOfDomainScores(4, 0.75, 0.5, 0.25, (("glöm det", "delete_my_data"),))
    default_ood = OutOfDomainScores(
        4, 0.5, 0.5, 0.0, (("glöm det", "delete_my_data"), ("pausa", "stop"))
    )
    row = SweepRow(0.4, 0.0, 0.9, 0.9, 0.95, 0.01, 0.02, 0.1, 0.9, 0.0, 1.0, 0.75)
    machine = Machine("2026-12-01", 2, "cpu", 24.0, "3.10", "3.6.21", "3.6.2", "abc", ())
    return BenchResults(
        machine=machine,
        quick=False,
        runtime_seconds=60.0,
        spacy_build_seconds=5.0,
        contention_share=0.0,
        contention_steps={},
        pipelines={
            OURS: pipeline(OURS, ours_ood, stories),
            DEFAULT: pipeline(DEFAULT, default_ood, stories),
        },
        features=[
            FeatureRow(OURS, "none", SCORES, None, ours_ood, 1.0),
            FeatureRow(
                "char_2_5", "char n-grams 2–5 instead of 3–5", SCORES, 20.0, default_ood, 0.75
            ),
        ],
        sweep=[row],
        ambiguity_sweep=[row],
        configured_threshold=0.4,
        configured_ambiguity=0.0,
        heldout_examples=10,
        unclear_examples=4,
        messages_per_level=40,
        conversation_length=10,
        folds=5,
        out_of_domain_examples=4,
        out_of_context_stories="tests/e2e/test_out_of_context.yml",
        out_of_context_present=stories is not None,
    )


def test_the_summary_shows_the_out_of_domain_share_and_lists_every_miss():
    text = summary_markdown(results(StoryScores(5, 4, 20, 19, 0, 0)))
    row = "| out-of-domain messages answered out_of_scope or asked to rephrase (4) |"
    assert f"{row} 75.0 % | 50.0 % |" in text
    assert "| `glöm det` | delete_my_data |" in text
    assert "| `pausa` | stop |" in text
    assert "**default**: 2 of 4 messages" in text


def test_the_summary_shows_stories_and_actions_right_in_both_modes():
    text = summary_markdown(results(StoryScores(5, 4, 20, 19, 0, 0)))
    assert "intents as written) | 4/5 (80.0 %) | 4/5 (80.0 %) |" in text
    assert "| out-of-context actions right (intents as written) | 19/20 (95.0 %) |" in text
    assert (
        "| out-of-context actions / intents right (`--e2e`) | 19/20 (95.0 %) / 3/4 (75.0 %) |"
        in text
    )


def test_a_missing_story_file_is_reported_as_not_present():
    text = summary_markdown(results(None))
    assert f"intents as written) | {NOT_PRESENT} | {NOT_PRESENT} |" in text
    assert "was not present when this run started" in text


def test_the_out_of_domain_share_is_one_of_the_targets():
    checks = {t.requirement: t for t in targets(results(None))}
    ood = next(t for r, t in checks.items() if r.startswith("out-of-domain"))
    assert not ood.passed
    assert ood.figure == "75.0% of 4, 1 missed"


def test_the_feature_table_shows_each_variants_out_of_domain_and_unclear_figures():
    text = features_markdown(results(None))
    assert "| `char_2_5` | char n-grams 2–5 instead of 3–5 |" in text
    assert "| 50.0 % | 75.0 % |" in text
