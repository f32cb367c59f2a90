"""Tickets and their mail to staff in the durable outbox (bot.storage.outbox)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import delete, func, select

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
from bot.storage.outbox import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    STATUSES,
    TICKET,
    NewMail,
    OutboxRepository,
    OutgoingMail,
    insert_mail,
)
from bot.storage.tables import as_utc, outbox, pending_questions, tickets

# The outbox's names, here too for the callers that knew them from this module.
__all__ = [
    "FAILED",
    "PENDING",
    "SENDING",
    "SENT",
    "STATUSES",
    "MailStatus",
    "OutgoingMail",
    "TicketRepository",
]


@dataclass(frozen=True)
class MailStatus:
    """A ticket's mail as staff see it in the command line."""

    reference: str
    created_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


class TicketRepository(OutboxRepository):
    """Tickets and their mail in the outbox, written and read through one engine."""

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
            mail = NewMail(
                reference=ticket.reference,
                kind=TICKET,
                conversation_ref=draft.conversation_ref,
                message=message,
                mail_from=mail_from,
                mail_to=mail_to,
                created_at=draft.created_at,
            )
            insert_mail(connection, mail, ticket_id=ticket_id)
        return ticket

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


def _is_address(address: str) -> object:
    # Reply addresses are stored in ASCII (the domain in its xn-- form), so SQL's lower()
    # compares them on SQLite and PostgreSQL alike.
    forms = [form.lower() for form in address_forms(address)]
    return func.lower(tickets.c.reply_to).in_(forms)
