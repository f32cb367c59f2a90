"""Questions written for staff, kept as written until their ticket is made.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_ref", sa.String(64), nullable=False, unique=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_pending_questions_created_at", "pending_questions", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_pending_questions_created_at", table_name="pending_questions")
    op.drop_table("pending_questions")
