"""Store completed checklists anonymously."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.domain.checklist import CRITERIA, Answer, ChecklistResult, Verdict
from bot.storage.tables import checklist_results


@dataclass(frozen=True)
class StoredChecklist:
    """One stored result, as advisers' statistics see it."""

    completed_at: datetime
    answers: dict[str, Answer]
    verdict: Verdict


class ChecklistRepository:
    """Completed checklists in the app database, one row per conversation."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(
        self,
        conversation_ref: str,
        answers: dict[str, Answer],
        result: ChecklistResult,
        completed_at: datetime,
    ) -> None:
        """Store the latest result of a conversation, replacing an earlier one."""
        values = {c: answers[c].value for c in CRITERIA}
        values |= {"verdict": result.verdict.value, "completed_at": completed_at}
        with self._engine.begin() as connection:
            updated = connection.execute(
                checklist_results.update()
                .where(checklist_results.c.conversation_ref == conversation_ref)
                .values(**values)
            )
            if updated.rowcount == 0:
                connection.execute(
                    checklist_results.insert().values(conversation_ref=conversation_ref, **values)
                )

    def unlink(self, conversation_ref: str) -> int:
        """Cut a conversation's result loose from it: only the anonymous row stays."""
        with self._engine.begin() as connection:
            return connection.execute(
                checklist_results.update()
                .where(checklist_results.c.conversation_ref == conversation_ref)
                .values(conversation_ref=None)
            ).rowcount

    def all(self) -> list[StoredChecklist]:
        """Return every stored result, oldest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(checklist_results).order_by(checklist_results.c.completed_at)
            ).mappings()
            return [
                StoredChecklist(
                    completed_at=row["completed_at"],
                    answers={c: Answer(row[c]) for c in CRITERIA},
                    verdict=Verdict(row["verdict"]),
                )
                for row in rows
            ]

    def count(self) -> int:
        """Return how many checklists are stored."""
        with self._engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(checklist_results)
            ).scalar_one()
