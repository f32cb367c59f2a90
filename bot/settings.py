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


class SettingsError(ValueError):
    """An environment variable is missing or holds a value the bot cannot use."""


def _number(environ: Mapping[str, str], name: str, default: float, kind: type = int) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from error
    if value <= 0:
        raise SettingsError(f"{name} must be greater than zero, not {raw!r}")
    return value


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
    # Days an e-mail address given with consent is kept; `asf-bot privacy purge` deletes
    # it after that.
    retention_days: int = 90
    # The web app (chat widget, demo page, chat proxy). Loopback by default: in
    # production a reverse proxy terminates TLS in front of it.
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    # Where the web app forwards chat messages (Rasa's REST channel), and how long it
    # waits for an answer before telling the visitor the chat cannot be reached.
    rasa_url: str = "http://localhost:5005"
    rasa_timeout: float = 30.0
    # Longer messages are refused with a friendly answer; no question needs more.
    max_message_length: int = 500
    # Per conversation: a burst of this many messages, then this many per minute.
    rate_limit_burst: int = 10
    rate_limit_per_minute: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (ASF_CONTENT_DIR, DATABASE_URL, ...)."""
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
            retention_days=int(_number(environ, "ASF_RETENTION_DAYS", defaults.retention_days)),
            web_host=environ.get("WEB_HOST", defaults.web_host),
            web_port=int(_number(environ, "WEB_PORT", defaults.web_port)),
            rasa_url=environ.get("RASA_URL", defaults.rasa_url).rstrip("/"),
            rasa_timeout=_number(environ, "RASA_TIMEOUT", defaults.rasa_timeout, float),
            max_message_length=int(
                _number(environ, "MAX_MESSAGE_LENGTH", defaults.max_message_length)
            ),
            rate_limit_burst=int(_number(environ, "RATE_LIMIT_BURST", defaults.rate_limit_burst)),
            rate_limit_per_minute=int(
                _number(environ, "RATE_LIMIT_PER_MINUTE", defaults.rate_limit_per_minute)
            ),
        )
