"""Visitors' votes on the bot's answers, kept without message text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_ref", sa.String(64)),
        sa.Column("answer_id", sa.String(64), nullable=False),
        sa.Column("response", sa.String(128), nullable=False),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("conversation_ref", "answer_id", name="uq_answer_feedback_answer"),
    )
    op.create_index("ix_answer_feedback_voted_at", "answer_feedback", ["voted_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_answer_feedback_voted_at", table_name="answer_feedback")
    op.drop_table("answer_feedback")
