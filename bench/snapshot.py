"""Copy the benchmark's inputs once, so that edits made during a run cannot mix into it."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from bench.settings import BenchSettings

# Settings fields that name input files or folders, copied under work/snapshot.
INPUT_FIELDS = (
    "our_config",
    "default_config",
    "domain",
    "training_data",
    "heldout",
    "unclear",
    "out_of_domain",
    "out_of_context_stories",
)


def snapshot_dir(settings: BenchSettings) -> Path:
    """Where this run's copies of the inputs live."""
    return settings.work_dir / "snapshot"


def take_snapshot(settings: BenchSettings) -> BenchSettings:
    """Copy every input; return settings that point at the copies."""
    root = snapshot_dir(settings)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    copies: dict[str, Path] = {}
    for name in INPUT_FIELDS:
        source: Path = getattr(settings, name)
        # The file's own name is kept: `rasa test core --e2e` reads only test_*.yml.
        target = root / name / source.name
        target.parent.mkdir(parents=True)
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.exists():
            shutil.copy2(source, target)
        copies[name] = target
    nlu = copies["training_data"] / settings.nlu_data.relative_to(settings.training_data)
    return dataclasses.replace(settings, nlu_data=nlu, **copies)
