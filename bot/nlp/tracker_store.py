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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.domain.consent import FORGET_CONVERSATION_SLOT
from bot.domain.redaction import Redactor
from bot.runtime.settings import Settings
from bot.services.content import ContentError, ContentRepository
from bot.storage.conversations import tracker_store_engine

log = logging.getLogger(__name__)


def forget_requested(tracker: DialogueStateTracker) -> bool:
    """Return True if the visitor asked in this conversation for it to be deleted."""
    return any(
        isinstance(event, SlotSet) and event.key == FORGET_CONVERSATION_SLOT and event.value
        for event in tracker.events
    )


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    # Rasa writes from its event loop: a commit that waits for the disk (SQLite's default,
    # synchronous=FULL) stalls every conversation. In WAL mode with synchronous=NORMAL a
    # commit does not wait for the disk; a crash of the process loses nothing, a power
    # cut at most the last turns. Readers and the writer no longer block each other.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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
        if self.engine.dialect.name == "sqlite":
            self._use_pooled_sqlite()
        folder = Path(content_dir) if content_dir else Settings.from_env().content_dir
        self._content = ContentRepository(folder)

    def _use_pooled_sqlite(self) -> None:
        """Keep SQLite connections open between messages, with the pragmas above."""
        # SQLAlchemy 1.4 opens a new connection to a SQLite file for every session; Rasa
        # opens two or three sessions per message. Rasa uses the store from one thread
        # at a time, so a pooled connection may move between threads.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=QueuePool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def redactor(self) -> Redactor:
        """Return a redactor that keeps the contact details in content/contacts.yml."""
        try:
            contact = self._content.contact()
        except ContentError:
            return Redactor()
        return Redactor.keeping([contact.email], [contact.phone])

    def redacted_event(self, event: Event, redactor: Redactor) -> Event:
        """Return a copy of `event` with personal data removed."""
        return Event.from_parameters(redactor.redact_value(event.as_dict()))

    def redacted(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """Return a copy of `tracker` rebuilt from redacted events."""
        redactor = self.redactor()
        copy = tracker.init_copy()
        for event in tracker.events:
            copy.update(self.redacted_event(event, redactor))
        return copy

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events Rasa's store is about to write (those not stored yet), redacted."""
        # Redacting only these, not the whole conversation on every save, keeps the cost
        # of a message independent of the conversation's length.
        redactor = self.redactor()
        for event in super()._additional_events(session, tracker):
            yield self.redacted_event(event, redactor)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish new events to the event broker, if one is configured, redacted too."""
        if self.event_broker is not None:
            await super().stream_events(self.redacted(tracker))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the new events redacted; delete the conversation instead if that was asked."""
        if forget_requested(tracker):
            self.forget(tracker.sender_id)
            return
        await super().save(tracker)

    def forget(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; return how many."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            )
            session.commit()
        log.info("Deleted a conversation on the visitor's request (%d events)", deleted)
        return deleted


def create_tables(url: str) -> None:
    """Create Rasa's events table at `url` if it is missing (as the store itself would).

    Run once before replicas start: several Rasa servers creating it at the same moment
    on PostgreSQL would race, and one of them would fail to start.
    """
    engine = tracker_store_engine(url)
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
    finally:
        engine.dispose()
