"""A period's data, read from Rasa's tracker store and the app database (SQLAlchemy Core).

The tracker store's events are redacted already (bot.nlp.tracker_store). Conversations
reach the figures known only by the keyed hash the app database uses for them
(bot.domain.pseudonym.conversation_ref), so that votes can be joined to them. Reads
only: SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import create_engine, distinct, inspect, select
from sqlalchemy.engine import Engine

from bot.domain.checklist import CRITERIA, Answer, Verdict
from bot.domain.pseudonym import conversation_ref
from bot.insight.conversations import Conversation, conversations
from bot.insight.figures import ChecklistRow, TicketMail, Vote
from bot.storage.conversations import events, tracker_store_engine
from bot.storage.outbox import FAILED
from bot.storage.tables import answer_feedback, as_utc, checklist_results, outbox, tickets

# Senders whose events are read in one query: well below any database's parameter limit.
_CHUNK = 500


class SqlSources:
    """The real sources of the figures (bot.insight.figures.Sources)."""

    def __init__(self, tracker: Engine, app: Engine, pseudonym_key: str) -> None:
        self._tracker = tracker
        self._app = app
        self._key = pseudonym_key

    @classmethod
    def from_urls(cls, tracker_url: str, database_url: str, pseudonym_key: str) -> SqlSources:
        """Open both databases by their SQLAlchemy URLs."""
        return cls(
            tracker_store_engine(tracker_url),
            create_engine(database_url, future=True),
            pseudonym_key,
        )

    def close(self) -> None:
        """Close both databases' connections."""
        self._tracker.dispose()
        self._app.dispose()

    def conversations(self, start: datetime, end: datetime) -> Sequence[Conversation]:
        """The sessions that began in [start, end), each known by its conversation_ref."""
        if not inspect(self._tracker).has_table(events.name):
            # The Rasa server has not started yet: no conversations.
            return []
        found: list[Conversation] = []
        for sender, stored in self._events_of(self._senders(start, end)):
            ref = conversation_ref(self._key, sender)
            found += [c for c in conversations(ref, stored) if start <= c.started_at < end]
        return sorted(found, key=lambda c: (c.started_at, c.ref))

    def _senders(self, start: datetime, end: datetime) -> list[str]:
        # A session that began in the period has a message in it; a sender with one may
        # have sessions before it too, which are read and left out.
        query = select(distinct(events.c.sender_id)).where(
            events.c.type_name == "user",
            events.c.timestamp >= start.timestamp(),
            events.c.timestamp < end.timestamp(),
        )
        with self._tracker.connect() as connection:
            return sorted(connection.execute(query).scalars())

    def _events_of(self, senders: list[str]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for first in range(0, len(senders), _CHUNK):
            chunk = senders[first : first + _CHUNK]
            query = (
                select(events.c.sender_id, events.c.data)
                .where(events.c.sender_id.in_(chunk))
                .order_by(events.c.sender_id, events.c.id)
            )
            with self._tracker.connect() as connection:
                rows = connection.execute(query).all()
            for sender, group in groupby(rows, key=lambda row: row.sender_id):
                yield sender, [json.loads(row.data) for row in group]

    def votes(self, start: datetime, end: datetime) -> Sequence[Vote]:
        """The 👍 and 👎 cast in [start, end)."""
        column = answer_feedback.c.voted_at
        query = (
            select(answer_feedback)
            .where(column >= as_utc(start), column < as_utc(end))
            .order_by(column, answer_feedback.c.id)
        )
        with self._app.connect() as connection:
            return [
                Vote(
                    conversation_ref=row.conversation_ref,
                    response=row.response,
                    vote=row.vote,
                    voted_at=as_utc(row.voted_at),
                )
                for row in connection.execute(query)
            ]

    def checklists(self, start: datetime, end: datetime) -> Sequence[ChecklistRow]:
        """The anonymous checklist results completed in [start, end)."""
        column = checklist_results.c.completed_at
        query = (
            select(checklist_results)
            .where(column >= as_utc(start), column < as_utc(end))
            .order_by(column, checklist_results.c.id)
        )
        with self._app.connect() as connection:
            return [
                ChecklistRow(
                    completed_at=as_utc(row["completed_at"]),
                    answers={c: Answer(row[c]) for c in CRITERIA},
                    verdict=Verdict(row["verdict"]),
                )
                for row in connection.execute(query).mappings()
            ]

    def _ticket_mail(self, *conditions: object) -> list[TicketMail]:
        query = (
            select(tickets.c.reference, tickets.c.created_at, outbox.c.status)
            .join(outbox, outbox.c.ticket_id == tickets.c.id)
            .where(*conditions)
            .order_by(tickets.c.id)
        )
        with self._app.connect() as connection:
            return [
                TicketMail(row.reference, as_utc(row.created_at), row.status)
                for row in connection.execute(query)
            ]

    def tickets(self, start: datetime, end: datetime) -> Sequence[TicketMail]:
        """The tickets created in [start, end), with their mail's state."""
        column = tickets.c.created_at
        return self._ticket_mail(column >= as_utc(start), column < as_utc(end))

    def failed_tickets(self) -> Sequence[TicketMail]:
        """Every ticket whose mail to staff failed for good."""
        return self._ticket_mail(outbox.c.status == FAILED)
