"""Use case: hand a visitor's question to staff, with the context and the consented address."""

from __future__ import annotations

from bot.content import ContentError, ContentRepository
from bot.privacy_service import PrivacyService
from bot.redaction import Redactor
from bot.ticket import Ticket
from bot.ticket_service import TicketService


class EscalationService:
    """Creates the ticket for a question the visitor wrote, personal data removed.

    Staff mail must hold no personal data but the address the visitor consented to give,
    and that only as the reply address. So the question and the turns are redacted here
    (the agency's own published contact details are kept), and the address is read back
    from the consent records, never from the conversation.
    """

    def __init__(
        self, tickets: TicketService, privacy: PrivacyService, content: ContentRepository
    ) -> None:
        self._tickets = tickets
        self._privacy = privacy
        self._content = content

    def hand_over(
        self,
        question: str,
        turns: list[tuple[str, str]],
        conversation_id: str,
        consent_record: int | None,
    ) -> Ticket:
        """Create the ticket and its mail; return the ticket (its reference for the visitor).

        `consent_record` is the id of the address kept with consent in this conversation
        for this question, or None when the visitor gave none. Raises TicketError when
        the question is empty, and the database's errors when it cannot be written.
        """
        redactor = self._redactor()
        reply_to = None
        if consent_record is not None:
            reply_to = self._privacy.address_of(conversation_id, consent_record)
        return self._tickets.create_ticket(
            redactor.redact(question),
            [(speaker, redactor.redact(text)) for speaker, text in turns],
            reply_to,
            conversation_id,
        )

    def _redactor(self) -> Redactor:
        try:
            contact = self._content.contact()
        except ContentError:
            return Redactor()
        return Redactor.keeping([contact.email], [contact.phone])
