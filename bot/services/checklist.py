"""Use case: a visitor completes the eligibility checklist."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from bot.domain.checklist import ChecklistResult, evaluate, parse_answers
from bot.domain.pseudonym import conversation_ref
from bot.storage.checklists import ChecklistRepository


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ChecklistService:
    """Evaluates a completed checklist and stores it anonymously."""

    def __init__(
        self,
        repository: ChecklistRepository,
        pseudonym_key: str,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._repository = repository
        self._key = pseudonym_key
        self._clock = clock

    def complete(self, values: Mapping[str, object], conversation_id: str) -> ChecklistResult:
        """Evaluate the answers (keyed by criterion), store them, return the result."""
        answers = parse_answers(values)
        result = evaluate(answers)
        ref = conversation_ref(self._key, conversation_id)
        self._repository.save(ref, answers, result, self._clock())
        return result
