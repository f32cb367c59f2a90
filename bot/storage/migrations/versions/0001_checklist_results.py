"""Completed eligibility checklists, stored anonymously.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checklist_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_ref", sa.String(64), nullable=False, unique=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("participation", sa.String(16), nullable=False),
        sa.Column("reinvestment", sa.String(16), nullable=False),
        sa.Column("independence", sa.String(16), nullable=False),
        sa.Column("public_services", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("checklist_results")
