"""The durable outbox: mail written with what it is about, claimed and sent by the worker.

Tickets' mail to staff (bot.storage.tickets writes it with the ticket) and counselling
summaries mailed to founders (written here) go through the same rows, claims and
retries. A summary mail is the founder's personal data: it is found and deleted by its
conversation, its address and its age, as the consent records are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Select

from bot.domain.summary_mail import MailDeletion, StoredSummaryMail
from bot.domain.ticket import address_forms
from bot.storage.tables import as_utc, outbox

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)
# What a row of the outbox is: a ticket's mail to staff, or a summary to a founder.
TICKET, SUMMARY = "ticket", "summary"


@dataclass(frozen=True)
class OutgoingMail:
    """One claimed outbox row, ready to hand to SMTP."""

    id: int
    reference: str
    message_id: str
    mail_from: str
    mail_to: str
    message: bytes
    attempts: int


@dataclass(frozen=True)
class NewMail:
    """A mail to put in the outbox."""

    reference: str
    kind: str
    conversation_ref: str | None
    message: EmailMessage
    # The envelope: bare addresses.
    mail_from: str
    mail_to: str
    created_at: datetime


def insert_mail(connection: Connection, mail: NewMail, ticket_id: int | None = None) -> int:
    """Write one mail, due at once, in the caller's transaction; return its row id."""
    return connection.execute(
        outbox.insert().values(
            reference=mail.reference,
            kind=mail.kind,
            conversation_ref=mail.conversation_ref,
            ticket_id=ticket_id,
            message_id=mail.message["Message-ID"],
            mail_from=mail.mail_from,
            mail_to=mail.mail_to,
            message=mail.message.as_bytes(policy=SMTP),
            status=PENDING,
            attempts=0,
            next_attempt_at=as_utc(mail.created_at),
            created_at=as_utc(mail.created_at),
        )
    ).inserted_primary_key[0]


class OutboxRepository:
    """The outbox's rows: claims and outcomes for the worker, summary mails for privacy."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, mail: NewMail) -> int:
        """Write one mail that belongs to no ticket; return its row id."""
        with self._engine.begin() as connection:
            return insert_mail(connection, mail)

    def claim(self, now: datetime, lease: timedelta) -> OutgoingMail | None:
        """Claim the next due mail for sending until now + lease; None when none is due.

        Due: pending and its time has come, or sending but its lease ran out (a worker
        stopped mid-delivery). On PostgreSQL the row is locked as it is read, skipping
        rows other workers hold, so workers never take the same row nor wait on each
        other. The claim itself is a compare-and-set on (status, attempts), so two
        workers never both claim the same row even without row locks (SQLite).
        """
        with self._engine.begin() as connection:
            query = _due(now, row_locks=connection.dialect.name == "postgresql")
            for row in connection.execute(query).mappings().all():
                claimed = connection.execute(
                    outbox.update()
                    .where(
                        outbox.c.id == row["id"],
                        outbox.c.status == row["status"],
                        outbox.c.attempts == row["attempts"],
                    )
                    .values(
                        status=SENDING, attempts=row["attempts"] + 1, next_attempt_at=now + lease
                    )
                )
                if claimed.rowcount == 1:
                    return OutgoingMail(
                        id=row["id"],
                        reference=row["reference"],
                        message_id=row["message_id"],
                        mail_from=row["mail_from"],
                        mail_to=row["mail_to"],
                        message=bytes(row["message"]),
                        attempts=row["attempts"] + 1,
                    )
        return None

    def _finish(self, mail: OutgoingMail, **values: object) -> bool:
        # Only while this claim still holds: a worker whose lease ran out and whose row
        # another worker claimed again must not overwrite that worker's outcome. A row
        # deleted meanwhile (the founder asked for deletion) stays deleted.
        with self._engine.begin() as connection:
            result = connection.execute(
                outbox.update()
                .where(
                    outbox.c.id == mail.id,
                    outbox.c.status == SENDING,
                    outbox.c.attempts == mail.attempts,
                )
                .values(**values)
            )
            return result.rowcount == 1

    def mark_sent(self, mail: OutgoingMail, now: datetime) -> bool:
        """Record that the mail was handed to the SMTP server."""
        return self._finish(mail, status=SENT, sent_at=now, last_error=None)

    def mark_failed(self, mail: OutgoingMail, error: str) -> bool:
        """Record a permanent failure: the mail is not tried again unless staff retry it."""
        return self._finish(mail, status=FAILED, last_error=error[:500])

    def retry_later(self, mail: OutgoingMail, at: datetime, error: str) -> bool:
        """Record a temporary failure: the mail is due again at `at`."""
        return self._finish(mail, status=PENDING, next_attempt_at=at, last_error=error[:500])

    # Summary mails: the founder's address and answers, kept no longer than the consent.

    def _summaries(self, *conditions: object) -> list[StoredSummaryMail]:
        query = (
            select(
                outbox.c.reference,
                outbox.c.created_at,
                outbox.c.mail_to,
                outbox.c.status,
                outbox.c.conversation_ref,
            )
            .where(outbox.c.kind == SUMMARY, *conditions)
            .order_by(outbox.c.id)
        )
        with self._engine.connect() as connection:
            return [
                StoredSummaryMail(
                    reference=row.reference,
                    created_at=as_utc(row.created_at),
                    mail_to=row.mail_to,
                    status=row.status,
                    conversation_ref=row.conversation_ref,
                )
                for row in connection.execute(query)
            ]

    def summaries_in(self, conversation_refs: Iterable[str]) -> list[StoredSummaryMail]:
        """Return the summary mails of these conversations, oldest first."""
        refs = list(conversation_refs)
        return self._summaries(outbox.c.conversation_ref.in_(refs)) if refs else []

    def summaries_to(self, address: str) -> list[StoredSummaryMail]:
        """Return the summary mails to `address` (any case, any domain form)."""
        return self._summaries(_to(address))

    def delete_summaries_in(self, conversation_refs: Iterable[str]) -> MailDeletion:
        """Delete the summary mails of these conversations, sent or not."""
        refs = list(conversation_refs)
        return (
            self._delete_summaries(outbox.c.conversation_ref.in_(refs)) if refs else MailDeletion()
        )

    def delete_summaries_to(self, address: str) -> MailDeletion:
        """Delete the summary mails to `address` (any case, any domain form)."""
        return self._delete_summaries(_to(address))

    def delete_summaries_before(self, moment: datetime) -> MailDeletion:
        """Delete the summary mails written before `moment` (past retention)."""
        return self._delete_summaries(outbox.c.created_at < as_utc(moment))

    def _delete_summaries(self, condition: object) -> MailDeletion:
        """Delete the matching summary mails in one transaction: a pending one is never
        sent, and a sent one's stored message (address, answers, PDF) is gone."""
        query = (
            select(outbox.c.id, outbox.c.status)
            .where(outbox.c.kind == SUMMARY, condition)
            .with_for_update()
        )
        with self._engine.begin() as connection:
            rows = connection.execute(query).all()
            if rows:
                connection.execute(delete(outbox).where(outbox.c.id.in_([r.id for r in rows])))
        # A mail a worker holds right now may still go out: count it as sent.
        sent = sum(1 for row in rows if row.status in (SENT, SENDING))
        return MailDeletion(unsent=len(rows) - sent, sent=sent)


def _due(now: datetime, row_locks: bool) -> Select:
    """Return the query of mail due at `now`, oldest first."""
    # For a pending row next_attempt_at is when to try again; for a sending row it is
    # when the claim (lease) runs out.
    query = (
        select(outbox)
        .where(outbox.c.status.in_([PENDING, SENDING]), outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
    )
    if row_locks:
        # Lock only the one row taken: a row this worker locked but did not claim would
        # be skipped by the others meanwhile.
        return query.with_for_update(skip_locked=True).limit(1)
    # Without row locks another worker may win the compare-and-set on the first rows.
    return query.limit(5)


def _to(address: str) -> object:
    # Envelope recipients are stored in ASCII (the domain in its xn-- form), so SQL's
    # lower() compares them on SQLite and PostgreSQL alike.
    forms = [form.lower() for form in address_forms(address)]
    return func.lower(outbox.c.mail_to).in_(forms)
