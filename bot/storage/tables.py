"""The app database's tables. Alembic migrations in migrations/ create them."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def as_utc(moment: datetime) -> datetime:
    """Return `moment` in UTC: every DateTime column holds UTC, and SQLite hands it back naive."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


# One row per conversation that completed the checklist, for advisers' statistics.
# No personal data: the conversation is known only by a keyed hash (conversation_ref),
# and not at all once the visitor ends the session (NULL: only the anonymous row stays).
checklist_results = Table(
    "checklist_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_ref", String(64), unique=True),
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

# Questions handed to staff. The reference (ASF-<year>-<number>) is made from the id in
# the same transaction that inserts the row. reply_to is set only when the visitor
# consented to give an address; the question is kept as the visitor wrote it.
tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(32), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("conversation_ref", String(64), nullable=False),
    Column("question", Text, nullable=False),
    Column("reply_to", String(254)),
)

# A question the visitor wrote for staff, kept as written from the moment the form takes
# it until its ticket is made (in the same transaction), the visitor stops or asks for
# deletion, or `asf-bot privacy purge` finds it abandoned. Rasa's conversation store holds
# only the redacted text, so this is where staff's copy comes from. At most one per
# conversation.
pending_questions = Table(
    "pending_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_ref", String(64), nullable=False, unique=True),
    Column("question", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# The durable outbox: mail written in the same transaction as what it is about, sent by
# the mail worker. kind: "ticket" (a ticket's mail to staff, ticket_id set) or "summary"
# (a counselling summary mailed to the founder who consented). reference is the mail's
# own unique name: the ticket's reference, a summary's, or (a digest) its period's key.
# conversation_ref is the keyed hash of the conversation the mail came from, for
# deletion and retention. status: pending -> sending (claimed until next_attempt_at, a
# lease) -> sent, or failed on a permanent error; temporary errors go back to pending
# with next_attempt_at pushed out (exponential backoff).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("conversation_ref", String(64), index=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), unique=True),
    Column("message_id", String(255), nullable=False, unique=True),
    Column("mail_from", String(254), nullable=False),
    Column("mail_to", String(254), nullable=False),
    Column("message", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

# Visitors' votes on the bot's answers ("Fick du svar på din fråga?" 👍 / 👎), for
# staff's insight. No message text: which response it was (its name in domain.yml),
# the vote and when. answer_id is the widget's own random name for one shown answer, so
# that a changed vote replaces the earlier one. The conversation is known only by its
# keyed hash, and not at all once the visitor ends the session (NULL).
answer_feedback = Table(
    "answer_feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_ref", String(64)),
    Column("answer_id", String(64), nullable=False),
    Column("response", String(128), nullable=False),
    Column("vote", String(8), nullable=False),
    Column("voted_at", DateTime(timezone=True), nullable=False, index=True),
    UniqueConstraint("conversation_ref", "answer_id", name="uq_answer_feedback_answer"),
)
