"""Visitors' votes on the bot's answers, anonymous: no text, the conversation by its hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.domain.feedback import Vote
from bot.storage.tables import answer_feedback, as_utc


@dataclass(frozen=True)
class StoredVote:
    """One stored vote, as staff's figures see it."""

    conversation_ref: str | None
    answer_id: str
    response: str
    vote: Vote
    voted_at: datetime


class FeedbackRepository:
    """Votes in the app database: one row per shown answer, changed when the vote is."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialects = {"postgresql": postgresql, "sqlite": sqlite}
        if engine.dialect.name not in dialects:
            raise ValueError(f"votes are stored in SQLite or PostgreSQL, not {engine.dialect.name}")
        self._insert = dialects[engine.dialect.name].insert

    def record(
        self,
        conversation_ref: str,
        answer_id: str,
        response: str,
        vote: Vote,
        voted_at: datetime,
    ) -> None:
        """Store a vote on one answer, replacing the earlier vote on it.

        One statement (INSERT ... ON CONFLICT DO UPDATE), so two votes on the same answer
        arriving at once, at two web apps, still leave one row.
        """
        values = {"response": response, "vote": vote.value, "voted_at": voted_at}
        statement = self._insert(answer_feedback).values(
            conversation_ref=conversation_ref, answer_id=answer_id, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=[answer_feedback.c.conversation_ref, answer_feedback.c.answer_id],
            set_=values,
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def unlink(self, conversation_ref: str) -> int:
        """Cut a conversation's votes loose from it: only the anonymous rows stay."""
        with self._engine.begin() as connection:
            return connection.execute(
                answer_feedback.update()
                .where(answer_feedback.c.conversation_ref == conversation_ref)
                .values(conversation_ref=None)
            ).rowcount

    def all(self) -> list[StoredVote]:
        """Return every stored vote, oldest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(answer_feedback).order_by(answer_feedback.c.voted_at, answer_feedback.c.id)
            ).mappings()
            return [
                StoredVote(
                    conversation_ref=row["conversation_ref"],
                    answer_id=row["answer_id"],
                    response=row["response"],
                    vote=Vote(row["vote"]),
                    voted_at=as_utc(row["voted_at"]),
                )
                for row in rows
            ]
