"""Configuration from the environment, with safe local defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything the bot's Python code reads from its environment."""

    # Staff edit these files; the bot reads them at run time, without retraining.
    content_dir: Path = PROJECT_ROOT / "content"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (ASF_CONTENT_DIR)."""
        environ = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            content_dir=Path(environ.get("ASF_CONTENT_DIR", defaults.content_dir)),
        )
