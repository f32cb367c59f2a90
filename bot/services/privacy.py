"""Use cases: keep an address with consent, show it, delete it, export it, purge old ones.

Any flow that needs a visitor's address (a question handed to staff, a counselling
summary mailed to the founder) records it through `PrivacyService.record` with its own
purpose, after the consent form, and reads it back with `address_of` when it needs it.
Deleting reaches everywhere a visitor's address or question is kept: consent records,
tickets and their mail to staff, summary mails, questions not yet handed over, and (staff
commands) Rasa's stored conversations; a visitor's own deletion also unlinks the
conversation's checklist result and its votes on answers, so only the anonymous
statistics rows stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.domain.consent import ConsentRecord, Purpose, retention_deadline
from bot.domain.email_address import parse_address
from bot.domain.escalation import PENDING_QUESTION_HOURS, PendingQuestion, abandoned_before
from bot.domain.pseudonym import conversation_ref
from bot.domain.summary_mail import MailDeletion, StoredSummaryMail
from bot.domain.ticket import StoredTicket, Withdrawal
from bot.storage.checklists import ChecklistRepository
from bot.storage.consents import ConsentRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.feedback import FeedbackRepository
from bot.storage.outbox import OutboxRepository
from bot.storage.pending_questions import PendingQuestionRepository
from bot.storage.tickets import TicketRepository


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Deletion:
    """What a deletion removed."""

    # Addresses with their consent records.
    records: int
    # Rasa's stored conversations (staff commands; in a chat the Rasa server deletes it).
    conversations: int = 0
    # Questions written for staff and not handed over.
    pending_questions: int = 0
    # Tickets whose reply address was removed, by whether their mail had reached staff.
    tickets: Withdrawal = field(default_factory=Withdrawal)
    # Summary mails deleted, by whether they had been sent.
    summaries: MailDeletion = field(default_factory=MailDeletion)
    # Checklist results unlinked from their conversation (the anonymous row stays).
    checklists: int = 0
    # Votes on answers unlinked from their conversation (the anonymous rows stay).
    votes: int = 0


@dataclass(frozen=True)
class Kept:
    """What is kept from one conversation, as the visitor is shown it."""

    records: list[ConsentRecord]
    # Tickets that hold a reply address.
    tickets: list[StoredTicket]
    question: PendingQuestion | None
    # Summary mails to the founder, sent or not.
    summaries: list[StoredSummaryMail] = field(default_factory=list)


class PrivacyService:
    """Addresses kept with consent, found by conversation (visitors) or address (staff).

    `conversations` is Rasa's tracker store; only staff commands need it. In a chat, the
    Rasa server deletes the conversation itself (see bot.nlp.tracker_store). `outbox`
    holds the summary mails; the ticket repository is the outbox's too, and serves when
    none is given. `checklists` and `feedback`, when given, let a visitor's deletion
    unlink the conversation's checklist result and its votes on answers.
    """

    def __init__(
        self,
        consents: ConsentRepository,
        questions: PendingQuestionRepository,
        tickets: TicketRepository,
        pseudonym_key: str,
        retention_days: int,
        clock: Callable[[], datetime] = _now,
        conversations: ConversationRepository | None = None,
        pending_question_hours: int = PENDING_QUESTION_HOURS,
        outbox: OutboxRepository | None = None,
        checklists: ChecklistRepository | None = None,
        feedback: FeedbackRepository | None = None,
    ) -> None:
        self._consents = consents
        self._questions = questions
        self._tickets = tickets
        self._key = pseudonym_key
        self._retention_days = retention_days
        self._clock = clock
        self._conversations = conversations
        self._pending_hours = pending_question_hours
        self._outbox = outbox or tickets
        self._checklists = checklists
        self._feedback = feedback

    def record(
        self,
        address: str,
        purpose: Purpose,
        policy_version: str,
        conversation_id: str,
        consented_at: datetime | None = None,
    ) -> int:
        """Keep `address` for `purpose` under the consent given in a conversation; return its id.

        Raises bot.domain.email_address.InvalidAddress if `address` is not a valid address.
        """
        consented_at = consented_at or self._clock()
        return self._consents.add(
            address=parse_address(address),
            purpose=purpose,
            policy_version=policy_version,
            consented_at=consented_at,
            conversation_ref=conversation_ref(self._key, conversation_id),
            retain_until=retention_deadline(consented_at, self._retention_days),
        )

    def stored_for(self, conversation_id: str) -> list[ConsentRecord]:
        """Return what is kept from one conversation."""
        return self._consents.for_conversation(conversation_ref(self._key, conversation_id))

    def address_of(self, conversation_id: str, record_id: int) -> str | None:
        """Return the address of one record, if it was given in this conversation."""
        record = self.record_of(conversation_id, record_id)
        return None if record is None else record.address

    def record_of(self, conversation_id: str, record_id: int) -> ConsentRecord | None:
        """Return one record, if it was made in this conversation."""
        records = self.stored_for(conversation_id)
        return next((r for r in records if r.id == record_id), None)

    def discard(self, conversation_id: str, record_id: int) -> int:
        """Delete one record made in this conversation (its purpose could not be served)."""
        record = self.record_of(conversation_id, record_id)
        return 0 if record is None else self._consents.delete([record.id])

    def kept_for(self, conversation_id: str) -> Kept:
        """Return what is kept from one conversation: addresses, tickets with one, a
        question, summary mails."""
        ref = conversation_ref(self._key, conversation_id)
        return Kept(
            records=self._consents.for_conversation(ref),
            tickets=self._tickets.with_address_in(ref),
            question=self._questions.for_conversation(ref),
            summaries=self._outbox.summaries_in([ref]),
        )

    def forget(self, conversation_id: str) -> Deletion:
        """Delete what one conversation left: addresses, consents, the pending question,
        its summary mails, the reply address of its tickets and their mail (the visitor
        withdrew it), and the link from its checklist result and its votes to it."""
        ref = conversation_ref(self._key, conversation_id)
        # Tickets and summary mails first: while the consent records are there, a
        # failure half-way leaves the address findable by staff's `privacy delete`.
        tickets = self._tickets.withdraw_address_in(ref)
        summaries = self._outbox.delete_summaries_in([ref])
        questions = self._questions.delete_for([ref])
        records = self._consents.delete(r.id for r in self._consents.for_conversation(ref))
        checklists = self._checklists.unlink(ref) if self._checklists is not None else 0
        votes = self._feedback.unlink(ref) if self._feedback is not None else 0
        return Deletion(
            records=records,
            pending_questions=questions,
            tickets=tickets,
            summaries=summaries,
            checklists=checklists,
            votes=votes,
        )

    def export(self, address: str) -> dict[str, Any]:
        """Return everything kept about an address: its records, tickets, summary mails,
        pending questions from the conversations it was given in, and those conversations."""
        records = self._consents.for_address(address)
        refs = sorted({r.conversation_ref for r in records})
        return {
            "address": address,
            "records": [record.as_dict() for record in records],
            "tickets": [ticket.as_dict() for ticket in self._tickets.with_address(address)],
            "summary_mails": [mail.as_dict() for mail in self._outbox.summaries_to(address)],
            "pending_questions": [
                question.as_dict() for question in self._questions.for_conversations(refs)
            ],
            "conversations": [
                {"conversation_ref": ref, "events": self._require_conversations().events(sender)}
                for ref, sender in self._senders_of(records)
            ],
        }

    def delete(self, address: str) -> Deletion:
        """Delete an address everywhere: its records, the conversations they were given in
        with their pending questions, the summary mails to it, and the address from
        tickets and their mail."""
        records = self._consents.for_address(address)
        tickets = self._tickets.withdraw_address(address)
        summaries = self._outbox.delete_summaries_to(address)
        questions = self._questions.delete_for({r.conversation_ref for r in records})
        return replace(
            self._delete(records), pending_questions=questions, tickets=tickets, summaries=summaries
        )

    def purge(self) -> Deletion:
        """Delete what is past its deadline: records with their conversations, addresses of
        tickets and summary mails older than the retention, and questions abandoned
        before a ticket."""
        now = self._clock()
        retained_from = now - timedelta(days=self._retention_days)
        tickets = self._tickets.withdraw_addresses_before(retained_from)
        summaries = self._outbox.delete_summaries_before(retained_from)
        questions = self._questions.delete_created_before(
            abandoned_before(now, self._pending_hours)
        )
        deletion = self._delete(self._consents.expired(now))
        return replace(deletion, pending_questions=questions, tickets=tickets, summaries=summaries)

    def _delete(self, records: list[ConsentRecord]) -> Deletion:
        if not records:
            return Deletion(records=0)
        senders = self._senders_of(records)
        deleted = self._consents.delete(r.id for r in records)
        # A conversation goes once no record kept from it is left.
        remaining = {r.conversation_ref for r in self._consents.all()}
        conversations = self._require_conversations()
        gone = sum(
            1 for ref, sender in senders if ref not in remaining and conversations.delete(sender)
        )
        return Deletion(records=deleted, conversations=gone)

    def _require_conversations(self) -> ConversationRepository:
        if self._conversations is None:
            raise RuntimeError("this PrivacyService was built without the tracker store")
        return self._conversations

    def _senders_of(self, records: Iterable[ConsentRecord]) -> list[tuple[str, str]]:
        """Return (conversation_ref, sender id) of the stored conversations of `records`."""
        refs = {r.conversation_ref for r in records}
        if not refs:
            return []
        senders = self._require_conversations().sender_ids()
        by_ref = {conversation_ref(self._key, sender): sender for sender in senders}
        return sorted((ref, by_ref[ref]) for ref in refs if ref in by_ref)
