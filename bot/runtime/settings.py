"""Configuration from the environment, with safe local defaults."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.domain.digest import parse_weekday

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A default that keys pseudonyms on a developer's machine only: production mode
# refuses to start without ASF_PSEUDONYM_KEY.
DEVELOPMENT_PSEUDONYM_KEY = "development-only-pseudonym-key"
# Staff mail on a developer's machine goes to the local SMTP sink (var/mail/), which
# takes any address; production refuses to start without real ones.
DEVELOPMENT_STAFF_EMAIL = "asf-staff@localhost"
DEVELOPMENT_MAIL_FROM = "ASF-hjälpen <asf-hjalpen@localhost>"


class SettingsError(ValueError):
    """An environment variable is missing or holds a value the bot cannot use."""


def _flag(environ: Mapping[str, str], name: str) -> bool | None:
    raw = environ.get(name, "").strip().lower()
    if raw == "":
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _number(
    environ: Mapping[str, str], name: str, default: float, kind: type = int, zero: bool = False
) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from error
    if value < 0 or (value == 0 and not zero):
        least = "zero or more" if zero else "greater than zero"
        raise SettingsError(f"{name} must be {least}, not {raw!r}")
    return value


def _weekday(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse_weekday(raw)
    except ValueError:
        raise SettingsError(
            f"{name} must be a weekday (1-7, Monday is 1, or its name), not {raw!r}"
        ) from None


def _hour(environ: Mapping[str, str], name: str, default: int) -> int:
    hour = int(_number(environ, name, default, zero=True))
    if hour > 23:
        raise SettingsError(f"{name} must be an hour from 0 to 23, not {hour}")
    return hour


@dataclass(frozen=True)
class Settings:
    """Everything the bot's Python code reads from its environment."""

    # Staff edit these files; the bot reads them at run time, without retraining.
    content_dir: Path = PROJECT_ROOT / "content"
    # The app database (checklist results); any SQLAlchemy URL.
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'app.db'}"
    # Connections each process keeps open to the app database, and how many more it may
    # open at a peak (PostgreSQL; SQLite ignores them). See README, "Running on several
    # machines", for how they add up against PostgreSQL's max_connections.
    database_pool_size: int = 5
    database_max_overflow: int = 5
    # Where Rasa keeps conversations (the redacting SQL tracker store): any SQLAlchemy
    # URL, e.g. postgresql+psycopg2://asf@db/asf. None: a SQLite file, var/tracker.db.
    tracker_store_url: str | None = None
    # Redis for what replicas must share: Rasa's lock store (one message of a
    # conversation at a time, whichever replica takes it) and the web app's rate limits.
    # None: both in memory, for one machine.
    redis_url: str | None = None
    # Key of the keyed hash that stands in for conversation ids in the app database.
    pseudonym_key: str = DEVELOPMENT_PSEUDONYM_KEY
    production: bool = False
    # Days an e-mail address given with consent is kept; `asf-bot privacy purge` deletes
    # it after that.
    retention_days: int = 90
    # Hours a question written for staff but never handed over (the visitor left
    # mid-flow) is kept as written; `asf-bot privacy purge` deletes it after that.
    pending_question_hours: int = 24
    # The web app (chat widget, demo page, chat proxy). Loopback by default: in
    # production a reverse proxy terminates TLS in front of it.
    web_host: str = "127.0.0.1"
    # The Rasa server and the action server: loopback by default, so that only the web
    # app can ever face the network; a private address when they run on other machines.
    rasa_host: str = "127.0.0.1"
    action_host: str = "127.0.0.1"
    # The secret the Rasa server sends with every action call; the action server refuses
    # calls without it. Unset in development: `asf-bot run` makes one for each run.
    action_server_token: str | None = None
    web_port: int = 8080
    # Where the web app forwards chat messages (Rasa's REST channel), and how long it
    # waits for an answer before telling the visitor the chat cannot be reached.
    rasa_url: str = "http://localhost:5005"
    rasa_timeout: float = 30.0
    # The token of Rasa's HTTP API (`rasa run --auth-token`): the web app reads a
    # conversation's checklist from Rasa's tracker with it (the counselling view and its
    # summary). `asf-bot run` gives the web app the token it gives Rasa. Unset: those
    # endpoints answer 503, and the chat works as before.
    rasa_token: str | None = None
    # Messages this web app has at Rasa at once, and messages a Rasa server works on at
    # once (bot/nlp/admission.py); the others wait their turn, first come first served.
    # Rasa is one event loop: given twenty messages at once it works on each a little at
    # every await, so a message that calls the action server four times waits four rounds
    # and one that calls it never waits one. A short queue in front keeps each message's
    # wait about the same (bench/results/scale.md).
    rasa_max_in_flight: int = 4
    # Longer messages are refused with a friendly answer; no question needs more.
    max_message_length: int = 500
    # Per conversation: a burst of this many messages, then this many per minute.
    rate_limit_burst: int = 10
    rate_limit_per_minute: int = 30
    # Staff mail: where tickets go and who sends them.
    staff_email: str = DEVELOPMENT_STAFF_EMAIL
    mail_from: str = DEVELOPMENT_MAIL_FROM
    # The SMTP relay. No host: `asf-bot run` starts a local sink that writes var/mail/.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    # None: STARTTLS when the server offers it; True: required; False: never.
    smtp_starttls: bool | None = None
    smtp_timeout: float = 60.0
    # The mail worker: how often it looks for due mail, the first retry delay (doubled
    # on each temporary failure up to the maximum), and how long a claimed mail stays
    # claimed before another worker may take it over (longer than any one send).
    mail_poll_seconds: float = 5.0
    mail_retry_seconds: float = 30.0
    mail_retry_max_seconds: float = 3600.0
    mail_lease_seconds: float = 300.0
    # The weekly digest to staff (`asf-bot insight`): written by the mail worker on the
    # weekday (Monday 0) from the hour, Swedish time, about the week before; to
    # insight_email, or staff_email when that is unset. INSIGHT_DIGEST=off: none.
    insight_digest: bool = True
    insight_email: str | None = None
    insight_digest_weekday: int = 0
    insight_digest_hour: int = 7

    @property
    def digest_to(self) -> str:
        """Where the weekly digest goes."""
        return self.insight_email or self.staff_email

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (ASF_CONTENT_DIR, DATABASE_URL, ...)."""
        environ = os.environ if environ is None else environ
        defaults = cls()
        production = environ.get("ASF_ENV", "development") == "production"
        key = environ.get("ASF_PSEUDONYM_KEY")
        if production and not key:
            raise SettingsError("ASF_PSEUDONYM_KEY must be set when ASF_ENV=production")
        for name in ("STAFF_EMAIL", "MAIL_FROM", "SMTP_HOST", "ACTION_SERVER_TOKEN"):
            if production and not environ.get(name, "").strip():
                raise SettingsError(f"{name} must be set when ASF_ENV=production")
        return cls(
            content_dir=Path(environ.get("ASF_CONTENT_DIR", defaults.content_dir)),
            database_url=environ.get("DATABASE_URL", defaults.database_url),
            database_pool_size=int(
                _number(environ, "DATABASE_POOL_SIZE", defaults.database_pool_size)
            ),
            database_max_overflow=int(
                _number(environ, "DATABASE_MAX_OVERFLOW", defaults.database_max_overflow, zero=True)
            ),
            tracker_store_url=environ.get("TRACKER_STORE_URL", "").strip() or None,
            redis_url=environ.get("REDIS_URL", "").strip() or None,
            pseudonym_key=key or defaults.pseudonym_key,
            production=production,
            retention_days=int(_number(environ, "ASF_RETENTION_DAYS", defaults.retention_days)),
            pending_question_hours=int(
                _number(environ, "ASF_PENDING_QUESTION_HOURS", defaults.pending_question_hours)
            ),
            web_host=environ.get("WEB_HOST", "").strip() or defaults.web_host,
            rasa_host=environ.get("RASA_HOST", "").strip() or defaults.rasa_host,
            action_host=environ.get("ACTION_HOST", "").strip() or defaults.action_host,
            action_server_token=environ.get("ACTION_SERVER_TOKEN", "").strip() or None,
            web_port=int(_number(environ, "WEB_PORT", defaults.web_port)),
            rasa_url=environ.get("RASA_URL", defaults.rasa_url).rstrip("/"),
            rasa_timeout=_number(environ, "RASA_TIMEOUT", defaults.rasa_timeout, float),
            rasa_token=environ.get("RASA_TOKEN", "").strip() or None,
            rasa_max_in_flight=int(
                _number(environ, "RASA_MAX_IN_FLIGHT", defaults.rasa_max_in_flight)
            ),
            max_message_length=int(
                _number(environ, "MAX_MESSAGE_LENGTH", defaults.max_message_length)
            ),
            rate_limit_burst=int(_number(environ, "RATE_LIMIT_BURST", defaults.rate_limit_burst)),
            rate_limit_per_minute=int(
                _number(environ, "RATE_LIMIT_PER_MINUTE", defaults.rate_limit_per_minute)
            ),
            staff_email=environ.get("STAFF_EMAIL", "").strip() or defaults.staff_email,
            mail_from=environ.get("MAIL_FROM", "").strip() or defaults.mail_from,
            smtp_host=environ.get("SMTP_HOST", "").strip() or None,
            smtp_port=int(_number(environ, "SMTP_PORT", defaults.smtp_port)),
            smtp_user=environ.get("SMTP_USER") or None,
            smtp_password=environ.get("SMTP_PASSWORD") or None,
            smtp_starttls=_flag(environ, "SMTP_STARTTLS"),
            smtp_timeout=_number(environ, "SMTP_TIMEOUT", defaults.smtp_timeout, float),
            mail_poll_seconds=_number(
                environ, "MAIL_POLL_SECONDS", defaults.mail_poll_seconds, float
            ),
            mail_retry_seconds=_number(
                environ, "MAIL_RETRY_SECONDS", defaults.mail_retry_seconds, float
            ),
            mail_retry_max_seconds=_number(
                environ, "MAIL_RETRY_MAX_SECONDS", defaults.mail_retry_max_seconds, float
            ),
            mail_lease_seconds=_number(
                environ, "MAIL_LEASE_SECONDS", defaults.mail_lease_seconds, float
            ),
            insight_digest=_flag(environ, "INSIGHT_DIGEST") is not False,
            insight_email=environ.get("INSIGHT_EMAIL", "").strip() or None,
            insight_digest_weekday=_weekday(
                environ, "INSIGHT_DIGEST_WEEKDAY", defaults.insight_digest_weekday
            ),
            insight_digest_hour=_hour(environ, "INSIGHT_DIGEST_HOUR", defaults.insight_digest_hour),
        )


class _ReadNames(Mapping[str, str]):
    """An environment in which every variable is empty, noting each name asked for."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.names.add(name)
        return ""

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def environment_names() -> frozenset[str]:
    """Return the name of every environment variable Settings.from_env reads."""
    environ = _ReadNames()
    Settings.from_env(environ)
    return frozenset(environ.names)
