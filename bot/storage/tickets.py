"""Tickets and their outgoing mail (the durable outbox) in the app database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from bot.domain.redaction import EMAIL_PLACEHOLDER
from bot.domain.ticket import (
    StoredTicket,
    Ticket,
    TicketError,
    Withdrawal,
    address_forms,
    ticket_reference,
    without_address,
)
from bot.mail.compose import without_reply_to
from bot.storage.tables import as_utc, outbox, pending_questions, tickets

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
        pending_question: int | None = None,
    ) -> Ticket:
        """Store the ticket and its mail in one transaction; return it with its reference.

        `pending_question` is the id of the pending question the ticket is made from; it
        is deleted in the same transaction. TicketError if it is gone (handed over or
        deleted meanwhile): then nothing is stored, so a question makes at most one ticket.
        """
        with self._engine.begin() as connection:
            if pending_question is not None:
                taken = connection.execute(
                    delete(pending_questions).where(pending_questions.c.id == pending_question)
                ).rowcount
                if taken != 1:
                    raise TicketError("the question was handed over or deleted meanwhile")
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
                    created_at=as_utc(row.created_at),
                    status=row.status,
                    attempts=row.attempts,
                    next_attempt_at=as_utc(row.next_attempt_at),
                    last_error=row.last_error,
                )
                for row in connection.execute(query)
            ]

    def _stored(self, *conditions: object) -> list[StoredTicket]:
        query = (
            select(tickets, outbox.c.status)
            .join(outbox, outbox.c.ticket_id == tickets.c.id)
            .where(*conditions)
            .order_by(tickets.c.id)
        )
        with self._engine.connect() as connection:
            return [
                StoredTicket(
                    reference=row["reference"],
                    created_at=as_utc(row["created_at"]),
                    conversation_ref=row["conversation_ref"],
                    question=row["question"],
                    reply_to=row["reply_to"],
                    mail_status=row["status"],
                )
                for row in connection.execute(query).mappings()
            ]

    def with_address_in(self, conversation_ref: str) -> list[StoredTicket]:
        """Return the tickets of one conversation that hold a reply address."""
        return self._stored(
            tickets.c.conversation_ref == conversation_ref, tickets.c.reply_to.is_not(None)
        )

    def with_address(self, address: str) -> list[StoredTicket]:
        """Return the tickets whose reply address is `address` (any case, any domain form)."""
        return self._stored(_is_address(address))

    def withdraw_address_in(self, conversation_ref: str) -> Withdrawal:
        """Remove the reply address from one conversation's tickets and their mail."""
        return self._withdraw(tickets.c.conversation_ref == conversation_ref)

    def withdraw_address(self, address: str) -> Withdrawal:
        """Remove `address` from every ticket that has it as reply address, and their mail."""
        return self._withdraw(_is_address(address))

    def withdraw_addresses_before(self, moment: datetime) -> Withdrawal:
        """Remove the reply address from tickets made before `moment` (past retention)."""
        return self._withdraw(tickets.c.created_at < as_utc(moment))

    def _withdraw(self, condition: object) -> Withdrawal:
        """Forget the reply address of the tickets matching `condition`, in one transaction.

        The ticket keeps its question (the address taken out where the visitor typed it
        there), and its stored mail is rebuilt without the address: staff still get the
        question when it is sent later, but no address to reply to.
        """
        query = (
            select(
                tickets.c.id,
                tickets.c.question,
                tickets.c.reply_to,
                outbox.c.id.label("mail_id"),
                outbox.c.message,
                outbox.c.status,
            )
            .join(outbox, outbox.c.ticket_id == tickets.c.id)
            .where(condition, tickets.c.reply_to.is_not(None))
            .with_for_update()
        )
        unsent = sent = 0
        with self._engine.begin() as connection:
            for row in connection.execute(query).mappings().all():
                address = row["reply_to"]
                connection.execute(
                    tickets.update()
                    .where(tickets.c.id == row["id"])
                    .values(
                        reply_to=None,
                        question=without_address(row["question"], address, EMAIL_PLACEHOLDER),
                    )
                )
                connection.execute(
                    outbox.update()
                    .where(outbox.c.id == row["mail_id"])
                    .values(message=without_reply_to(bytes(row["message"]), address))
                )
                # A mail a worker holds right now may go out as it was: count it as sent.
                if row["status"] in (SENT, SENDING):
                    sent += 1
                else:
                    unsent += 1
        return Withdrawal(unsent=unsent, sent=sent)


def _due(now: datetime, row_locks: bool) -> Select:
    """Return the query of mail due at `now`, oldest first, with its ticket's reference."""
    # For a pending row next_attempt_at is when to try again; for a sending row it is
    # when the claim (lease) runs out.
    query = (
        select(outbox, tickets.c.reference)
        .join(tickets, tickets.c.id == outbox.c.ticket_id)
        .where(outbox.c.status.in_([PENDING, SENDING]), outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
    )
    if row_locks:
        # Lock only the outbox row (not the ticket's), and only the one taken: a row this
        # worker locked but did not claim would be skipped by the others meanwhile.
        return query.with_for_update(skip_locked=True, of=outbox).limit(1)
    # Without row locks another worker may win the compare-and-set on the first rows.
    return query.limit(5)


def _is_address(address: str) -> object:
    # Reply addresses are stored in ASCII (the domain in its xn-- form), so SQL's lower()
    # compares them on SQLite and PostgreSQL alike.
    forms = [form.lower() for form in address_forms(address)]
    return func.lower(tickets.c.reply_to).in_(forms)
