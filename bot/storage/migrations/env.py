"""Alembic environment: runs migrations against the URL the caller configured."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from bot.storage.tables import metadata

config = context.config

# Machines of a cluster may all upgrade the app database as they start (`asf-bot run`
# does, first). On PostgreSQL the first to take this lock migrates; the others wait,
# then find the schema at its head and do nothing. The lock ends with the transaction.
MIGRATION_LOCK = 0x4153_4642  # "ASFB"


def run_migrations() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), future=True)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            context.run_migrations()
    engine.dispose()


run_migrations()
