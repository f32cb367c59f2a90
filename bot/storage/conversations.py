"""Rasa's stored conversations (its SQL tracker store), for staff exports and deletions.

The Rasa server writes these rows through bot.nlp.tracker_store; the staff command line
reads and deletes them here without loading Rasa. The table is Rasa's, not ours: Alembic
does not manage it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    inspect,
    select,
)
from sqlalchemy.engine import URL, Engine, make_url

# The columns of Rasa's SQLTrackerStore.SQLEvent that are read or filtered on here.
events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("data", Text),
)

_ENV_VARIABLE = re.compile(r"\$\{([^}]+)\}")

# The class the Rasa server loads as its tracker store (see endpoints.yml).
TRACKER_STORE_TYPE = "bot.nlp.tracker_store.RedactingSQLTrackerStore"
# Rasa's own variable naming the PostgreSQL schema of its tables (SQLTrackerStore).
SCHEMA_VARIABLE = "POSTGRESQL_SCHEMA"


def _expand(value: Any) -> Any:
    # endpoints.yml may name secrets as ${VARIABLE}, as Rasa itself allows.
    if isinstance(value, str):
        return _ENV_VARIABLE.sub(lambda m: os.environ.get(m.group(1), ""), value)
    return value


def tracker_store_url(endpoints_file: Path, root: Path) -> str:
    """Return the SQLAlchemy URL of the SQL tracker store an endpoints file configures.

    A relative SQLite path is taken relative to `root`, where the Rasa server runs.
    """
    endpoints = yaml.safe_load(endpoints_file.read_text(encoding="utf-8")) or {}
    store = {k: _expand(v) for k, v in (endpoints.get("tracker_store") or {}).items()}
    if "dialect" not in store:
        raise ValueError(f"{endpoints_file}: tracker_store is not an SQL tracker store")
    dialect, db = store["dialect"], str(store.get("db") or "rasa.db")
    if dialect == "sqlite":
        path = Path(db)
        return f"sqlite:///{path if path.is_absolute() else root / path}"
    return URL.create(
        drivername=dialect,
        username=store.get("username"),
        password=store.get("password"),
        host=store.get("url"),
        port=int(store["port"]) if store.get("port") else None,
        database=db,
        query=store.get("query") or {},
    ).render_as_string(hide_password=False)


def tracker_store_endpoint(url: str) -> dict[str, Any]:
    """Return endpoints.yml's `tracker_store` keys for the tracker store at SQLAlchemy `url`.

    Rasa's SQL tracker store takes its connection as separate keys, not as a URL. The
    host goes under `url`: Rasa hands that key to a tracker store loaded by module path
    as `host`, so a `host` key would be given twice.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("a SQLite tracker store needs a file, e.g. sqlite:///var/tracker.db")
        return {"type": TRACKER_STORE_TYPE, "dialect": "sqlite", "db": parsed.database}
    # Rasa sizes its pool (SQL_POOL_SIZE, SQL_MAX_OVERFLOW) and applies POSTGRESQL_SCHEMA
    # only when the dialect is exactly "postgresql"; psycopg2 is that dialect's default
    # driver, so naming it adds nothing.
    dialect = "postgresql" if parsed.drivername == "postgresql+psycopg2" else parsed.drivername
    keys = {
        "type": TRACKER_STORE_TYPE,
        "dialect": dialect,
        "url": parsed.host,
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
        "query": dict(parsed.query),
    }
    return {key: value for key, value in keys.items() if value not in (None, {})}


def tracker_store_engine(
    url: str, environ: Mapping[str, str] | None = None, connections: int | None = None
) -> Engine:
    """Return an engine on the tracker store at `url` that sees the tables Rasa sees.

    On PostgreSQL the Rasa server puts its table in the schema POSTGRESQL_SCHEMA names,
    when set: staff commands must look for conversations there too. `connections` caps
    the engine's connections to a server (SQLite files have no pool to cap).
    """
    environ = os.environ if environ is None else environ
    schema = environ.get(SCHEMA_VARIABLE, "").strip()
    connect_args: dict[str, str] = {}
    backend = make_url(url).get_backend_name()
    if schema and backend == "postgresql":
        connect_args["options"] = f"-csearch_path={schema}"
    pool: dict[str, int] = {}
    if connections is not None and backend != "sqlite":
        pool = {"pool_size": connections, "max_overflow": 0}
    return create_engine(url, future=True, connect_args=connect_args, **pool)


class ConversationRepository:
    """Conversations in Rasa's tracker store, by sender id (Rasa's conversation id)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _exists(self) -> bool:
        # Before the Rasa server's first start the table does not exist yet.
        return inspect(self._engine).has_table("events")

    def sender_ids(self) -> list[str]:
        """Return the id of every stored conversation."""
        if not self._exists():
            return []
        with self._engine.connect() as connection:
            rows = connection.execute(select(events.c.sender_id).distinct())
            return sorted(row.sender_id for row in rows)

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        """Return one conversation's stored events, in order."""
        if not self._exists():
            return []
        query = select(events.c.data).where(events.c.sender_id == sender_id).order_by(events.c.id)
        with self._engine.connect() as connection:
            return [json.loads(row.data) for row in connection.execute(query)]

    def delete(self, sender_id: str) -> int:
        """Delete one conversation; return how many events were deleted."""
        if not self._exists():
            return 0
        with self._engine.begin() as connection:
            return connection.execute(
                delete(events).where(events.c.sender_id == sender_id)
            ).rowcount
