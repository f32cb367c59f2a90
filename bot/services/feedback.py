"""Use case: a visitor votes on one of the bot's answers, and may change the vote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from bot.domain.feedback import Ballot
from bot.domain.pseudonym import conversation_ref
from bot.storage.feedback import FeedbackRepository


def _now() -> datetime:
    return datetime.now(timezone.utc)


class FeedbackService:
    """Votes stored anonymously: the conversation only by its keyed hash, no text."""

    def __init__(
        self,
        repository: FeedbackRepository,
        pseudonym_key: str,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._repository = repository
        self._key = pseudonym_key
        self._clock = clock

    def vote(self, conversation_id: str, ballot: Ballot) -> None:
        """Store the visitor's vote on one answer; a later vote on it replaces this one."""
        self._repository.record(
            conversation_ref(self._key, conversation_id),
            ballot.answer_id,
            ballot.response,
            ballot.vote,
            self._clock(),
        )
