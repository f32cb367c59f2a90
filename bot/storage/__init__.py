"""The app database: tables, repositories and Alembic migrations (SQLAlchemy 1.4, 2.0 style)."""
