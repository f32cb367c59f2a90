"""Rasa's SQL tracker store, with visitors' personal data removed before anything is written.

Configured in endpoints.yml as `type: bot.nlp.tracker_store.RedactingSQLTrackerStore` with
the same keys as Rasa's SQL tracker store (dialect, db, url, username, ...). Rasa Open
Source has no redaction of its own.

Rasa keeps the conversation in memory while it handles a message and saves it once at the
end, so the actions that run for the message (the consent form, the action that stores
the address) still see what the visitor typed; only the redacted copy is written. Events
are redacted whole: user messages and their parse data, slot values, the bot's answers,
metadata. The agency's published contact details in answers are kept.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.content import ContentError, ContentRepository
from bot.privacy import FORGET_CONVERSATION_SLOT
from bot.redaction import Redactor
from bot.settings import Settings

log = logging.getLogger(__name__)


def forget_requested(tracker: DialogueStateTracker) -> bool:
    """Return True if the visitor asked in this conversation for it to be deleted."""
    return any(
        isinstance(event, SlotSet) and event.key == FORGET_CONVERSATION_SLOT and event.value
        for event in tracker.events
    )


class RedactingSQLTrackerStore(SQLTrackerStore):
    """An SQLTrackerStore that writes only redacted events, and forgets on request."""

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        content_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain=domain, event_broker=event_broker, **kwargs)
        folder = Path(content_dir) if content_dir else Settings.from_env().content_dir
        self._content = ContentRepository(folder)

    def redactor(self) -> Redactor:
        """Return a redactor that keeps the contact details in content/contacts.yml."""
        try:
            contact = self._content.contact()
        except ContentError:
            return Redactor()
        return Redactor.keeping([contact.email], [contact.phone])

    def redacted(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """Return a copy of `tracker` rebuilt from redacted events."""
        redactor = self.redactor()
        copy = tracker.init_copy()
        for event in tracker.events:
            copy.update(Event.from_parameters(redactor.redact_value(event.as_dict())))
        return copy

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the redacted tracker; delete the conversation instead if that was asked."""
        if forget_requested(tracker):
            self.forget(tracker.sender_id)
            return
        await super().save(self.redacted(tracker))

    def forget(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; return how many."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            )
            session.commit()
        log.info("Deleted a conversation on the visitor's request (%d events)", deleted)
        return deleted
