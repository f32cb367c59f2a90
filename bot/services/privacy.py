"""Use cases: keep an address with consent, show it, delete it, export it, purge old ones.

Any flow that needs a visitor's address (a question handed to staff, say) records it
through `PrivacyService.record` with its own purpose, after the consent form, and reads it
back with `address_of` when it needs it. Deleting reaches everywhere a visitor's address
or question is kept: consent records, tickets and their mail to staff, questions not yet
handed over, and (staff commands) Rasa's stored conversations.
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
from bot.domain.ticket import StoredTicket, Withdrawal
from bot.storage.consents import ConsentRepository
from bot.storage.conversations import ConversationRepository
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


@dataclass(frozen=True)
class Kept:
    """What is kept from one conversation, as the visitor is shown it."""

    records: list[ConsentRecord]
    # Tickets that hold a reply address.
    tickets: list[StoredTicket]
    question: PendingQuestion | None


class PrivacyService:
    """Addresses kept with consent, found by conversation (visitors) or address (staff).

    `conversations` is Rasa's tracker store; only staff commands need it. In a chat, the
    Rasa server deletes the conversation itself (see bot.nlp.tracker_store).
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
    ) -> None:
        self._consents = consents
        self._questions = questions
        self._tickets = tickets
        self._key = pseudonym_key
        self._retention_days = retention_days
        self._clock = clock
        self._conversations = conversations
        self._pending_hours = pending_question_hours

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
        records = self.stored_for(conversation_id)
        return next((r.address for r in records if r.id == record_id), None)

    def kept_for(self, conversation_id: str) -> Kept:
        """Return what is kept from one conversation: addresses, tickets with one, a question."""
        ref = conversation_ref(self._key, conversation_id)
        return Kept(
            records=self._consents.for_conversation(ref),
            tickets=self._tickets.with_address_in(ref),
            question=self._questions.for_conversation(ref),
        )

    def forget(self, conversation_id: str) -> Deletion:
        """Delete what one conversation left: addresses, consents, the pending question,
        and the reply address of its tickets and their mail (the visitor withdrew it)."""
        ref = conversation_ref(self._key, conversation_id)
        # The tickets first: while the consent records are there, a failure half-way
        # leaves the address findable by staff's `privacy delete`.
        tickets = self._tickets.withdraw_address_in(ref)
        questions = self._questions.delete_for([ref])
        records = self._consents.delete(r.id for r in self._consents.for_conversation(ref))
        return Deletion(records=records, pending_questions=questions, tickets=tickets)

    def export(self, address: str) -> dict[str, Any]:
        """Return everything kept about an address: its records, tickets, pending questions
        from the conversations it was given in, and those conversations."""
        records = self._consents.for_address(address)
        refs = sorted({r.conversation_ref for r in records})
        return {
            "address": address,
            "records": [record.as_dict() for record in records],
            "tickets": [ticket.as_dict() for ticket in self._tickets.with_address(address)],
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
        with their pending questions, and the address from tickets and their mail."""
        records = self._consents.for_address(address)
        tickets = self._tickets.withdraw_address(address)
        questions = self._questions.delete_for({r.conversation_ref for r in records})
        return replace(self._delete(records), pending_questions=questions, tickets=tickets)

    def purge(self) -> Deletion:
        """Delete what is past its deadline: records with their conversations, addresses of
        tickets older than the retention, and questions abandoned before a ticket."""
        now = self._clock()
        tickets = self._tickets.withdraw_addresses_before(
            now - timedelta(days=self._retention_days)
        )
        questions = self._questions.delete_created_before(
            abandoned_before(now, self._pending_hours)
        )
        deletion = self._delete(self._consents.expired(now))
        return replace(deletion, pending_questions=questions, tickets=tickets)

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
