"""Shared fixtures: paths to the project's files and the trained model.

Tests never read the caller's shell: before anything runs, every variable the bot reads
is removed from the environment, so a developer's SMTP_HOST or ASF_ENV=production cannot
send a test's mail elsewhere or stop its servers; each test sets what it uses.
"""

from __future__ import annotations

import os
import random
import socket
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from bot.runtime.launcher import LaunchConfig, Supervisor
from bot.runtime.settings import PROJECT_ROOT, environment_names
from bot.storage.migrate import upgrade

# Variables the bot reads beyond Settings (the launcher, the servers, rasa_sdk), and the
# prefixes of the project's own, including those of settings still to come.
READ_OUTSIDE_SETTINGS = frozenset(
    {"RASA_TOKEN", "LOG_LEVEL", "SANIC_HOST", "ACTION_SERVER_SANIC_WORKERS"}
    # Rasa's own: the SQL tracker store's pool and schema, the lock store's ticket lifetime.
    | {"SQL_POOL_SIZE", "SQL_MAX_OVERFLOW", "POSTGRESQL_SCHEMA", "TICKET_LOCK_LIFETIME"}
)
PROJECT_PREFIXES = (
    "ASF_", "SMTP_", "MAIL_", "WEB_", "RASA_URL", "RASA_HOST", "RASA_TIMEOUT", "ACTION_",
    "INSIGHT_", "REDIS_", "RATE_LIMIT_", "STAFF_", "DATABASE_", "TRACKER_STORE_",
)  # fmt: skip


def scrubbed(environ: dict[str, str]) -> list[str]:
    """Return the names in `environ` that tests must not inherit from the caller."""
    names = environment_names() | READ_OUTSIDE_SETTINGS
    return sorted(name for name in environ if name in names or name.startswith(PROJECT_PREFIXES))


for _name in scrubbed(dict(os.environ)):
    del os.environ[_name]
# The project's own settings the suite sets for every test, after the scrub: no weekly
# digest, since a mail worker a test starts would write last week's at once and add a
# mail to those the test counts; the digest's own tests turn it on.
SUITE_SETTINGS = {"INSIGHT_DIGEST": "off"}
os.environ.update(SUITE_SETTINGS)
# Quiet third-party start-up noise in every process the tests start, and no telemetry
# whatever the caller's shell says.
os.environ.update(
    {
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
)

SOURCE_PAGE = PROJECT_ROOT / "docs" / "source" / "tillvaxtverket-asf-page.txt"
MODEL = PROJECT_ROOT / "models" / "asf.tar.gz"
POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def source_page() -> str:
    """The agency page, the only source of facts."""
    return SOURCE_PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make setup` trains; tests that need it fail clearly without it."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make setup` (make test does) first")
    return MODEL


def postgres_available() -> bool:
    """Return True when the scale path's PostgreSQL answers on 127.0.0.1:5432."""
    try:
        with create_engine(POSTGRES_URL, future=True).connect():
            return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A migrated-from-nothing app database: a SQLite file, and PostgreSQL when running."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (the scale path is not tested)")
    # A schema of its own for each test: test runs that share the server (another work
    # tree, CI) never see or drop each other's tables.
    schema = f"test_{uuid.uuid4().hex[:16]}"
    engine = create_engine(POSTGRES_URL, future=True)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


# Redis, for the lock store and the shared rate limits. Tests share the server with
# other test runs (another work tree, CI): each takes keys under a prefix of its own and
# deletes them afterwards, and never flushes a database.
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    """Return True when the scale path's Redis answers on 127.0.0.1:6379."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


@pytest.fixture
def redis_url() -> str:
    """The machine's Redis; the test skips, saying why, when it is not running."""
    if not redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379 (the scale path is not tested)")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url) -> Iterator[str]:
    """A key prefix (letters and digits, as Rasa's key_prefix must be) for this test only."""
    prefix = f"test{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Below Linux's ephemeral range (32768-60999): no outgoing connection of this or another
# process (to PostgreSQL, Redis, ...) can take one of these ports between check and use.
_RUN_PORTS = range(20000, 32000)


def free_port_run(count: int) -> int:
    """Return the first of `count` consecutive loopback ports that nothing listens on now."""
    for _ in range(200):
        first = random.randrange(_RUN_PORTS.start, _RUN_PORTS.stop - count)
        try:
            with ExitStack() as stack:
                for port in range(first, first + count):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports in {_RUN_PORTS}")


@contextmanager
def running_bot(
    model: Path, var_dir: Path, token: str, env: dict[str, str] | None = None
) -> Iterator[Supervisor]:
    """Run the whole bot as `make run` does, on free ports, with its own migrated database."""
    database_url = f"sqlite:///{var_dir / 'app.db'}"
    upgrade(database_url)
    config = LaunchConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        mail_port=free_port(),
        model=model,
        var_dir=var_dir,
        token=token,
    )
    supervisor = Supervisor(config)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"DATABASE_URL": database_url, **(env or {})}.items():
            patch.setenv(name, value)
        try:
            supervisor.start()
            yield supervisor
        finally:
            supervisor.stop()
