"""The app database's tables. Alembic migrations in migrations/ create them."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

# One row per conversation that completed the checklist, for advisers' statistics.
# No personal data: the conversation is known only by a keyed hash (conversation_ref).
checklist_results = Table(
    "checklist_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_ref", String(64), nullable=False, unique=True),
    Column("completed_at", DateTime(timezone=True), nullable=False),
    Column("business", String(16), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("participation", String(16), nullable=False),
    Column("reinvestment", String(16), nullable=False),
    Column("independence", String(16), nullable=False),
    Column("public_services", String(16), nullable=False),
    Column("verdict", String(32), nullable=False),
)

# E-mail addresses kept with the visitor's consent: one row is the address and its
# consent record together (purpose, policy version, time), so deleting the row deletes
# both. The conversation is known only by a keyed hash; `address_key` is the address
# case-folded, for finding it again whatever case staff type it in.
email_consents = Table(
    "email_consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("address", String(320), nullable=False),
    Column("address_key", String(320), nullable=False, index=True),
    Column("purpose", String(64), nullable=False),
    Column("policy_version", String(32), nullable=False),
    Column("consented_at", DateTime(timezone=True), nullable=False),
    Column("conversation_ref", String(64), nullable=False, index=True),
    Column("retain_until", DateTime(timezone=True), nullable=False, index=True),
)
