"""E-mail addresses kept with consent: purpose, policy version, time, retention deadline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_consents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("address_key", sa.String(320), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.String(32), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conversation_ref", sa.String(64), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_email_consents_address_key", "email_consents", ["address_key"])
    op.create_index("ix_email_consents_conversation_ref", "email_consents", ["conversation_ref"])
    op.create_index("ix_email_consents_retain_until", "email_consents", ["retain_until"])


def downgrade() -> None:
    op.drop_table("email_consents")
