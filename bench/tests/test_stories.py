"""Counting what test stories get right, from Rasa's story report and from a real run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.settings import BenchError, BenchSettings
from bench.stories import domain_names, run_stories, story_scores
from bot.runtime.settings import PROJECT_ROOT

STAND_IN = Path(__file__).parent / "data" / "test_stand_in_stories.yml"
MODEL = PROJECT_ROOT / "models" / "asf.tar.gz"


def row(recall: float, support: int) -> dict:
    return {"precision": 1.0, "recall": recall, "f1-score": recall, "support": support}


def test_actions_intents_and_entities_are_counted_apart():
    report = {
        "utter_greet": row(1.0, 2),
        "action_listen": row(0.75, 4),
        "checklist_form": row(1.0, 1),
        "greet": row(0.5, 2),
        "nlu_fallback": row(1.0, 1),
        '[ägandet]{"entity": "criterion", "value": "participation"}': row(1.0, 1),
        "None": row(0.0, 3),
        "accuracy": 0.8,
        "micro avg": row(0.8, 14),
        "macro avg": row(0.8, 14),
        "conversation_accuracy": {"accuracy": 0.5, "correct": 1, "with_warnings": 0, "total": 2},
    }
    scores = story_scores(report, intents={"greet", "nlu_fallback"}, forms={"checklist_form"})
    assert (scores.stories_right, scores.stories) == (1, 2)
    assert (scores.actions_right, scores.actions) == (6, 7)
    assert (scores.intents_right, scores.intents) == (2, 3)
    assert scores.story_share == 0.5


def test_the_domain_gives_the_intents_with_nlu_fallback_and_the_forms():
    intents, forms = domain_names(PROJECT_ROOT / "domain.yml")
    assert {"greet", "out_of_scope", "nlu_fallback"} <= intents
    assert "checklist_form" in forms


def test_a_missing_story_file_gives_no_figures_and_runs_nothing(tmp_path):
    settings = BenchSettings(work_dir=tmp_path)
    assert run_stories(settings, MODEL, tmp_path / "test_absent.yml", "ours", e2e=True) is None
    assert not (tmp_path / "stories").exists()


def test_end_to_end_refuses_a_file_rasa_would_skip_without_a_word(tmp_path):
    stories = tmp_path / "stories.yml"
    stories.write_text(STAND_IN.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(BenchError, match="test_"):
        run_stories(BenchSettings(work_dir=tmp_path), MODEL, stories, "ours", e2e=True)


@pytest.mark.model
def test_the_stand_in_stories_through_the_trained_model(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make setup` (make test does) first")
    settings = BenchSettings(work_dir=tmp_path)
    as_written = run_stories(settings, MODEL, STAND_IN, "ours", e2e=False)
    read = run_stories(settings, MODEL, STAND_IN, "ours", e2e=True)
    # With the stories' intents only the wrong action fails; reading the messages, the
    # mislabelled one fails too, and its intent is the one intent not read as written.
    assert (as_written.stories_right, as_written.stories) == (2, 3)
    assert (read.stories_right, read.stories) == (1, 3)
    # The wrong action, and the listen after it: no rule follows utter_goodbye after a
    # greeting, so Rasa predicts action_default_fallback there.
    assert (as_written.actions_right, as_written.actions) == (6, 8)
    assert (read.actions_right, read.actions) == (as_written.actions_right, as_written.actions)
    assert as_written.intents == 0
    assert (read.intents_right, read.intents) == (3, 4)
