"""Use case: hand a visitor's question to staff, with the context and the consented address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from bot.domain.pseudonym import conversation_ref
from bot.domain.redaction import Redactor
from bot.domain.ticket import Ticket, plain_text
from bot.domain.variants import Variant
from bot.services.content import ContentError, ContentRepository
from bot.services.privacy import PrivacyService
from bot.services.tickets import TicketService
from bot.storage.pending_questions import PendingQuestionRepository


def _now() -> datetime:
    return datetime.now(timezone.utc)


class EscalationService:
    """Keeps the question as written, then creates its ticket with the context redacted.

    Staff must see the question exactly as the visitor wrote it (a phone number to call
    back, say), but Rasa's conversation store holds it redacted once the message that
    carried it has been handled. So the question is kept in the app database when the
    form takes it (`accept_question`), and the ticket is made from that copy. The turns
    of the conversation before it are redacted here (the agency's own published contact
    details are kept), and the address is read back from the consent records, never
    from the conversation.
    """

    def __init__(
        self,
        tickets: TicketService,
        privacy: PrivacyService,
        content: ContentRepository,
        questions: PendingQuestionRepository,
        pseudonym_key: str,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._tickets = tickets
        self._privacy = privacy
        self._content = content
        self._questions = questions
        self._key = pseudonym_key
        self._clock = clock

    def accept_question(self, conversation_id: str, question: str) -> None:
        """Keep the question as written until its ticket is made (replacing an earlier one)."""
        ref = conversation_ref(self._key, conversation_id)
        self._questions.put(ref, plain_text(question), self._clock())

    def discard_question(self, conversation_id: str) -> int:
        """Forget the conversation's pending question (the visitor stopped); return how many."""
        return self._questions.delete_for([conversation_ref(self._key, conversation_id)])

    def hand_over(
        self,
        question: str,
        turns: list[tuple[str, str]],
        conversation_id: str,
        consent_record: int | None,
        variant: Variant = Variant.SV,
    ) -> Ticket:
        """Create the ticket and its mail; return the ticket (its reference for the visitor).

        The question is the one kept by `accept_question`, as written; `question` (the
        conversation's redacted copy) is used, redacted, only when none was kept (the
        database was down when the form took it). `consent_record` is the id of the
        address kept with consent in this conversation for this question, or None when
        the visitor gave none. `variant` is the conversation's: the staff mail notes
        (in Swedish) a conversation in English or in lättläst. Raises TicketError when
        the question is empty or was handed over meanwhile, and the database's errors
        when it cannot be written.
        """
        redactor = self._redactor()
        pending = self._questions.for_conversation(conversation_ref(self._key, conversation_id))
        reply_to = None
        if consent_record is not None:
            reply_to = self._privacy.address_of(conversation_id, consent_record)
        return self._tickets.create_ticket(
            pending.question if pending else redactor.redact(question),
            [(speaker, redactor.redact(text)) for speaker, text in turns],
            reply_to,
            conversation_id,
            pending_question=pending.id if pending else None,
            variant=variant,
        )

    def _redactor(self) -> Redactor:
        try:
            contact = self._content.contact()
        except ContentError:
            return Redactor()
        return Redactor.keeping([contact.email], [contact.phone])
