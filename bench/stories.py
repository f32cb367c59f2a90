"""Test stories through a trained model: how many stories, actions and intents it gets right.

`rasa test core` runs the dialogue on the intents the stories give; with `--e2e` the
model reads each message itself, so a misread message counts too. Rasa writes
`story_report.json` with one classification row per label (actions and, with `--e2e`,
intents and entities) and the conversation-level figures; the counts here come from
that file. Its log line "Correct: n / N" at action level is N times the accuracy over
every label, not the actions right, so it is not used.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import commands
from bench.settings import BenchError, BenchSettings

STORIES_TIMEOUT = 20 * 60
REPORT = "story_report.json"
# Rasa's own actions and the bot's custom ones; the domain's forms are actions too.
ACTION_PREFIXES = ("utter_", "action_")


@dataclass(frozen=True)
class StoryScores:
    """Stories, actions and (with the model reading the messages) intents right."""

    stories: int
    stories_right: int
    actions: int
    actions_right: int
    intents: int
    intents_right: int

    @property
    def story_share(self) -> float:
        """Share of whole stories with every step right."""
        return self.stories_right / self.stories if self.stories else float("nan")

    @property
    def action_share(self) -> float:
        """Share of the bot's actions predicted right."""
        return self.actions_right / self.actions if self.actions else float("nan")


def _right(rows: dict[str, dict[str, Any]]) -> tuple[int, int]:
    # recall x support is the number of times a label was expected and predicted.
    support = sum(int(row["support"]) for row in rows.values())
    return round(sum(row["recall"] * row["support"] for row in rows.values())), support


def story_scores(
    report: dict[str, Any], intents: Collection[str], forms: Collection[str]
) -> StoryScores:
    """Count what a `story_report.json` says was right, actions and intents apart."""
    rows = {k: v for k, v in report.items() if isinstance(v, dict) and "support" in v}
    actions = {k: v for k, v in rows.items() if k.startswith(ACTION_PREFIXES) or k in forms}
    said = {k: v for k, v in rows.items() if k in intents}
    conversations = report.get("conversation_accuracy") or {"correct": 0, "total": 0}
    actions_right, action_count = _right(actions)
    intents_right, intent_count = _right(said)
    return StoryScores(
        stories=int(conversations["total"]),
        stories_right=int(conversations["correct"]),
        actions=action_count,
        actions_right=actions_right,
        intents=intent_count,
        intents_right=intents_right,
    )


def domain_names(domain: Path) -> tuple[set[str], set[str]]:
    """The domain's intents (and nlu_fallback) and its forms."""
    import yaml

    document = yaml.safe_load(domain.read_text(encoding="utf-8")) or {}
    intents = {i if isinstance(i, str) else next(iter(i)) for i in document.get("intents", [])}
    return intents | {"nlu_fallback"}, set(document.get("forms") or {})


def run_stories(
    settings: BenchSettings, model: Path, stories: Path, name: str, e2e: bool
) -> StoryScores | None:
    """`rasa test core` on `stories` with one model; None when the file is not there."""
    if not stories.exists():
        return None
    if e2e and not stories.name.startswith("test_"):
        # Rasa's end-to-end reader skips other files without a word: 0 stories, no error.
        raise BenchError(f"{stories.name}: --e2e reads only files named test_*.yml")
    mode = "e2e" if e2e else "intents"
    out = settings.work_dir / "stories" / f"{name}-{stories.stem}-{mode}"
    argv = commands.rasa_argv(
        "test", "core", "--model", str(model), "--stories", str(stories),
        "--out", str(out), "--no-plot", *(["--e2e"] if e2e else []),
    )  # fmt: skip
    log = settings.work_dir / "logs" / f"stories-{name}-{stories.stem}-{mode}.log"
    commands.run(argv, log, STORIES_TIMEOUT)
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    return story_scores(report, *domain_names(settings.domain))
