"""Tickets and their outgoing mail (the durable outbox) in the app database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.storage.tables import outbox, tickets
from bot.ticket import Ticket, ticket_reference

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)


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
class MailStatus:
    """A ticket's mail as staff see it in the command line."""

    reference: str
    created_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class TicketRepository:
    """Tickets and the outbox, written and read through one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(
        self,
        draft: Ticket,
        compose: Callable[[Ticket], EmailMessage],
        mail_from: str,
        mail_to: str,
    ) -> Ticket:
        """Store the ticket and its mail in one transaction; return it with its reference."""
        with self._engine.begin() as connection:
            ticket_id = connection.execute(
                tickets.insert().values(
                    created_at=draft.created_at,
                    conversation_ref=draft.conversation_ref,
                    question=draft.question,
                    reply_to=draft.reply_to,
                )
            ).inserted_primary_key[0]
            ticket = replace(draft, reference=ticket_reference(draft.created_at.year, ticket_id))
            connection.execute(
                tickets.update().where(tickets.c.id == ticket_id).values(reference=ticket.reference)
            )
            message = compose(ticket)
            connection.execute(
                outbox.insert().values(
                    ticket_id=ticket_id,
                    message_id=message["Message-ID"],
                    mail_from=mail_from,
                    mail_to=mail_to,
                    message=message.as_bytes(policy=SMTP),
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=draft.created_at,
                    created_at=draft.created_at,
                )
            )
        return ticket

    def claim(self, now: datetime, lease: timedelta) -> OutgoingMail | None:
        """Claim the next due mail for sending until now + lease; None when none is due.

        Due: pending and its time has come, or sending but its lease ran out (a worker
        stopped mid-delivery). The claim is a compare-and-set on (status, attempts), so
        two workers never both claim the same row.
        """
        # For a pending row next_attempt_at is when to try again; for a sending row it is
        # when the claim (lease) runs out.
        query = (
            select(outbox, tickets.c.reference)
            .join(tickets, tickets.c.id == outbox.c.ticket_id)
            .where(outbox.c.status.in_([PENDING, SENDING]), outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(5)
        )
        with self._engine.begin() as connection:
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
        # another worker claimed again must not overwrite that worker's outcome.
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

    def retry_now(self, reference: str, now: datetime) -> bool:
        """Make a failed ticket's mail due again at once; False if no such failed mail."""
        with self._engine.begin() as connection:
            ticket_id = connection.execute(
                select(tickets.c.id).where(tickets.c.reference == reference)
            ).scalar_one_or_none()
            if ticket_id is None:
                return False
            result = connection.execute(
                outbox.update()
                .where(outbox.c.ticket_id == ticket_id, outbox.c.status == FAILED)
                .values(status=PENDING, attempts=0, next_attempt_at=now)
            )
            return result.rowcount == 1

    def statuses(self, status: str | None = None) -> list[MailStatus]:
        """Return every ticket's mail status (or those with the given status), oldest first."""
        query = (
            select(
                tickets.c.reference,
                tickets.c.created_at,
                outbox.c.status,
                outbox.c.attempts,
                outbox.c.next_attempt_at,
                outbox.c.last_error,
            )
            .join(outbox, outbox.c.ticket_id == tickets.c.id)
            .order_by(tickets.c.id)
        )
        if status is not None:
            query = query.where(outbox.c.status == status)
        with self._engine.connect() as connection:
            return [
                MailStatus(
                    reference=row.reference,
                    created_at=_utc(row.created_at),
                    status=row.status,
                    attempts=row.attempts,
                    next_attempt_at=_utc(row.next_attempt_at),
                    last_error=row.last_error,
                )
                for row in connection.execute(query)
            ]
