"""Rasa's SQL tracker store, with visitors' personal data removed before anything is written.

Configured in endpoints.yml as `type: bot.nlp.tracker_store.RedactingSQLTrackerStore` with
the same keys as Rasa's SQL tracker store (dialect, db, url, username, ...). Rasa Open
Source has no redaction of its own.

Rasa keeps the conversation in memory while it handles a message and saves it once at the
end, so the actions that run for the message (the consent form, the action that stores
the address) still see what the visitor typed; only the redacted copy is written. Events
are redacted whole: user messages and their parse data, slot values, the bot's answers,
metadata. The agency's published contact details in answers are kept.

Reading and writing are Rasa's, with the same queries and the same rows, issued through
SQLAlchemy Core instead of the ORM: under load a fifth of the Rasa server's CPU went to
building ORM objects for each stored event it read and wrote, and to building the same
queries anew for every message (py-spy, `make bench-scale`). One multi-row insert
writes a message's events.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
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


# Rasa's events table and its queries, built once (Rasa builds them for every message):
# the events of a conversation's latest session are those from its last SessionStarted
# on, or all of them if it has none; ordered by id, as timestamps may repeat.
_EVENTS = SQLTrackerStore.SQLEvent.__table__
_SESSION_START = (
    sa.select(sa.func.max(_EVENTS.c.timestamp))
    .where(
        _EVENTS.c.sender_id == sa.bindparam("sender_id"),
        _EVENTS.c.type_name == SessionStarted.type_name,
    )
    .scalar_subquery()
)
_IN_LATEST_SESSION = sa.and_(
    _EVENTS.c.sender_id == sa.bindparam("sender_id"),
    sa.or_(_EVENTS.c.timestamp >= _SESSION_START, _SESSION_START.is_(None)),
)
_ALL_EVENTS = (
    sa.select(_EVENTS.c.data)
    .where(_EVENTS.c.sender_id == sa.bindparam("sender_id"))
    .order_by(_EVENTS.c.id)
)
_LATEST_SESSION_EVENTS = sa.select(_EVENTS.c.data).where(_IN_LATEST_SESSION).order_by(_EVENTS.c.id)
_LATEST_SESSION_COUNT = sa.select(sa.func.count()).select_from(_EVENTS).where(_IN_LATEST_SESSION)


def _event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The row Rasa's SQL tracker store writes for `event`."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


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
        stored = session.execute(_LATEST_SESSION_COUNT, {"sender_id": tracker.sender_id})
        redactor = self.redactor()
        for event in itertools.islice(tracker.events, stored.scalar_one(), None):
            yield self.redacted_event(event, redactor)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's `_retrieve`: the conversation's latest session (or all of it), in order."""
        query = _ALL_EVENTS if fetch_events_from_all_sessions else _LATEST_SESSION_EVENTS
        with self.session_scope() as session:
            rows = session.execute(query, {"sender_id": sender_id}).scalars().all()
        if self.domain is None or not rows:
            return None
        events = [json.loads(data) for data in rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def _write(self, tracker: DialogueStateTracker) -> None:
        """Rasa's `save`: publish, then insert the events not stored yet, in one statement."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [
                _event_row(tracker.sender_id, event)
                for event in self._additional_events(session, tracker)
            ]
            if rows:
                session.execute(_EVENTS.insert(), rows)
            session.commit()

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish new events to the event broker, if one is configured, redacted too."""
        if self.event_broker is not None:
            await super().stream_events(self.redacted(tracker))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the new events redacted; delete the conversation instead if that was asked."""
        if forget_requested(tracker):
            self.forget(tracker.sender_id)
            return
        await self._write(tracker)

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
