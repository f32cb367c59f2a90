"""Use case: hand a visitor's question to staff as a ticket with its mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parseaddr

from bot.domain.pseudonym import conversation_ref as pseudonym
from bot.domain.ticket import Ticket, TicketError, clean_reply_to, last_turns, plain_text
from bot.domain.variants import Variant
from bot.mail.compose import compose
from bot.storage.tickets import TicketRepository


def _now() -> datetime:
    return datetime.now(timezone.utc)


class TicketService:
    """Creates tickets; the mail worker delivers their mail from the outbox."""

    def __init__(
        self,
        repository: TicketRepository,
        pseudonym_key: str,
        mail_from: str,
        staff_email: str,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._repository = repository
        self._key = pseudonym_key
        self._mail_from = mail_from
        self._staff_email = staff_email
        self._clock = clock

    def create_ticket(
        self,
        question: str,
        turns: list[tuple[str, str]],
        reply_to: str | None,
        conversation_id: str,
        now: datetime | None = None,
        pending_question: int | None = None,
        variant: Variant = Variant.SV,
    ) -> Ticket:
        """Store the ticket and its mail to staff in one transaction; return the ticket.

        `turns` are (speaker, text) pairs, speaker "user" or "bot", with personal data
        already redacted by the caller. `reply_to` is given only when the visitor
        consented to leave it. The returned ticket's `reference` is what the visitor is
        shown; the page states no answering time, so this service promises none.
        `pending_question`, the id of the pending question `question` was read from, is
        deleted in the same transaction. `variant` is the conversation's: the mail tells
        staff (in Swedish) when it was in English or in lättläst.
        """
        question = plain_text(question).strip()
        if not question:
            raise TicketError("a ticket needs the visitor's question")
        created_at = (now or self._clock()).astimezone(timezone.utc)
        draft = Ticket(
            reference="",
            question=question,
            turns=last_turns(turns),
            reply_to=clean_reply_to(reply_to),
            created_at=created_at,
            conversation_ref=pseudonym(self._key, conversation_id),
        )
        return self._repository.add(
            draft,
            lambda ticket: compose(ticket, self._mail_from, self._staff_email, variant),
            # The envelope: bare addresses, without display names.
            parseaddr(self._mail_from)[1],
            parseaddr(self._staff_email)[1],
            pending_question=pending_question,
        )
