"""The outbox carries mail that is not a ticket's (a counselling summary to a founder), and
a checklist result can stand alone, unlinked from its conversation.

The outbox gains its own `reference` (unique: a ticket's reference, a summary's, later a
weekly digest's key for its period), the `conversation_ref` the mail came from (for
deletion and retention; none for mail of no conversation), and its `kind`; `ticket_id`
becomes optional. Existing rows take all three from their ticket. A checklist result's
`conversation_ref` becomes optional: a visitor who ends the session leaves only the
anonymous row for statistics.

SQLite cannot alter columns: batch mode copies the table (Alembic's "move and copy").

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("ticket_id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("conversation_ref", sa.String),
    sa.column("kind", sa.String),
)
tickets = sa.table(
    "tickets",
    sa.column("id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("conversation_ref", sa.String),
)
checklist_results = sa.table(
    "checklist_results",
    sa.column("id", sa.Integer),
    sa.column("conversation_ref", sa.String),
)


def _of_ticket(column: str) -> sa.sql.expression.ScalarSelect:
    return sa.select(tickets.c[column]).where(tickets.c.id == outbox.c.ticket_id).scalar_subquery()


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("reference", sa.String(64)))
        batch.add_column(sa.Column("conversation_ref", sa.String(64)))
        batch.add_column(sa.Column("kind", sa.String(16)))
    op.execute(
        outbox.update().values(
            reference=_of_ticket("reference"),
            conversation_ref=_of_ticket("conversation_ref"),
            kind="ticket",
        )
    )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("reference", existing_type=sa.String(64), nullable=False)
        batch.alter_column("kind", existing_type=sa.String(16), nullable=False)
        batch.alter_column("ticket_id", existing_type=sa.Integer, nullable=True)
        batch.create_unique_constraint("uq_outbox_reference", ["reference"])
        batch.create_index("ix_outbox_conversation_ref", ["conversation_ref"])
    with op.batch_alter_table("checklist_results") as batch:
        batch.alter_column("conversation_ref", existing_type=sa.String(64), nullable=True)


def downgrade() -> None:
    # Mail that is not a ticket's has no place in the old outbox; unlinked checklist
    # results get a stand-in that links them to no conversation.
    op.execute(outbox.delete().where(outbox.c.ticket_id.is_(None)))
    op.execute(
        checklist_results.update()
        .where(checklist_results.c.conversation_ref.is_(None))
        .values(
            conversation_ref=sa.literal("unlinked-") + sa.cast(checklist_results.c.id, sa.String)
        )
    )
    with op.batch_alter_table("checklist_results") as batch:
        batch.alter_column("conversation_ref", existing_type=sa.String(64), nullable=False)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_conversation_ref")
        batch.drop_constraint("uq_outbox_reference", type_="unique")
        batch.alter_column("ticket_id", existing_type=sa.Integer, nullable=False)
        batch.drop_column("kind")
        batch.drop_column("conversation_ref")
        batch.drop_column("reference")
