"""The migrations build exactly the schema the code uses, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from bot.storage.migrate import upgrade
from bot.storage.tables import metadata


def test_upgrading_from_nothing_gives_the_tables_the_code_uses(database_url):
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
