"""Configuration from the environment, with safe local defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# A default that keys pseudonyms on a developer's machine only: production mode
# refuses to start without ASF_PSEUDONYM_KEY.
DEVELOPMENT_PSEUDONYM_KEY = "development-only-pseudonym-key"


class SettingsError(RuntimeError):
    """The environment lacks something production needs."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot's Python code reads from its environment."""

    # Staff edit these files; the bot reads them at run time, without retraining.
    content_dir: Path = PROJECT_ROOT / "content"
    # The app database (checklist results); any SQLAlchemy URL.
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'app.db'}"
    # Key of the keyed hash that stands in for conversation ids in the app database.
    pseudonym_key: str = DEVELOPMENT_PSEUDONYM_KEY
    production: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ASF_CONTENT_DIR, DATABASE_URL, ASF_PSEUDONYM_KEY, ASF_ENV."""
        environ = os.environ if environ is None else environ
        defaults = cls()
        production = environ.get("ASF_ENV", "development") == "production"
        key = environ.get("ASF_PSEUDONYM_KEY")
        if production and not key:
            raise SettingsError("ASF_PSEUDONYM_KEY must be set when ASF_ENV=production")
        return cls(
            content_dir=Path(environ.get("ASF_CONTENT_DIR", defaults.content_dir)),
            database_url=environ.get("DATABASE_URL", defaults.database_url),
            pseudonym_key=key or defaults.pseudonym_key,
            production=production,
        )
