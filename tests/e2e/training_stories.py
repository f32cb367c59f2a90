"""The trained model and the training stories, for tests that hold the Rasa server's
speedups (bot/nlp/) against Rasa's own code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.runtime.settings import PROJECT_ROOT


def loaded_model(model: Path) -> tuple[Any, list[Any]]:
    """The model loaded as the Rasa server loads it, and its graph's components."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return agent, [node._component for node in nodes]


def training_trackers(domain: Any) -> list[Any]:
    """A tracker for each training story and rule (data/*.yml, data/stories/), as trained."""
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import (
        YAMLStoryReader,
    )
    from rasa.shared.core.training_data.structures import StoryGraph

    files = sorted((PROJECT_ROOT / "data").glob("*.yml"))
    files += sorted((PROJECT_ROOT / "data" / "stories").glob("*.yml"))
    steps = [step for f in files for step in YAMLStoryReader(domain).read_from_file(f)]
    return TrainingDataGenerator(
        StoryGraph(steps), domain, augmentation_factor=0, remove_duplicates=False
    ).generate()
