"""Questions written for staff, kept as written until their ticket is made."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine, RowMapping

from bot.domain.escalation import PendingQuestion
from bot.storage.tables import as_utc, pending_questions


def _question(row: RowMapping) -> PendingQuestion:
    return PendingQuestion(
        id=row["id"],
        conversation_ref=row["conversation_ref"],
        question=row["question"],
        created_at=as_utc(row["created_at"]),
    )


class PendingQuestionRepository:
    """At most one pending question per conversation (by its pseudonymous reference)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, conversation_ref: str, question: str, created_at: datetime) -> int:
        """Keep `question` for the conversation, replacing an earlier one; return its id."""
        with self._engine.begin() as connection:
            connection.execute(
                delete(pending_questions).where(
                    pending_questions.c.conversation_ref == conversation_ref
                )
            )
            result = connection.execute(
                pending_questions.insert().values(
                    conversation_ref=conversation_ref,
                    question=question,
                    created_at=as_utc(created_at),
                )
            )
            return int(result.inserted_primary_key[0])

    def _select(self, *conditions: object) -> list[PendingQuestion]:
        query = select(pending_questions).where(*conditions).order_by(pending_questions.c.id)
        with self._engine.connect() as connection:
            return [_question(row) for row in connection.execute(query).mappings()]

    def for_conversation(self, conversation_ref: str) -> PendingQuestion | None:
        """Return the conversation's pending question, if there is one."""
        found = self._select(pending_questions.c.conversation_ref == conversation_ref)
        return found[0] if found else None

    def for_conversations(self, conversation_refs: Iterable[str]) -> list[PendingQuestion]:
        """Return the pending questions of these conversations, oldest first."""
        refs = list(conversation_refs)
        return self._select(pending_questions.c.conversation_ref.in_(refs)) if refs else []

    def delete_for(self, conversation_refs: Iterable[str]) -> int:
        """Delete the pending questions of these conversations; return how many."""
        refs = list(conversation_refs)
        if not refs:
            return 0
        return self._delete(pending_questions.c.conversation_ref.in_(refs))

    def delete_created_before(self, moment: datetime) -> int:
        """Delete the questions written before `moment` (abandoned); return how many."""
        return self._delete(pending_questions.c.created_at < as_utc(moment))

    def _delete(self, condition: object) -> int:
        with self._engine.begin() as connection:
            return connection.execute(delete(pending_questions).where(condition)).rowcount
