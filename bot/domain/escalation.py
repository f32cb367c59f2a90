"""Handing a visitor's question to staff, the chat side: pure rules, no Rasa or storage.

Which topics to offer when a message was not understood, why the bot offers staff,
whether a written question can be sent, and which turns of the conversation staff see.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

# No question needs more; the web app already refuses messages over 500 characters, so
# this only catches what reaches Rasa's REST channel directly.
MAX_QUESTION_LENGTH = 1000
# At most this many topic buttons from the intent ranking of an unclear message.
MAX_TOPIC_BUTTONS = 3
# A topic scored lower than this for an unclear message is a guess, not a lead.
MIN_TOPIC_CONFIDENCE = 0.1


# A question written but never handed over (the visitor left mid-flow) is kept this long
# before `asf-bot privacy purge` deletes it (Settings.pending_question_hours).
PENDING_QUESTION_HOURS = 24


@dataclass(frozen=True)
class PendingQuestion:
    """A question as the visitor wrote it, kept until its ticket is made."""

    id: int
    conversation_ref: str
    question: str
    created_at: datetime

    def as_dict(self) -> dict[str, object]:
        """Return it as plain JSON values (what a staff export shows)."""
        return {
            "conversation_ref": self.conversation_ref,
            "question": self.question,
            "created_at": self.created_at.isoformat(),
        }


def abandoned_before(now: datetime, hours: int) -> datetime:
    """Return the time before which a pending question counts as abandoned."""
    if hours < 1:
        raise ValueError("hours must be at least 1")
    return now - timedelta(hours=hours)


class QuestionProblem(Enum):
    """Why a written question cannot be sent as it is."""

    EMPTY = "empty"
    TOO_LONG = "too_long"


def question_problem(text: str | None, limit: int = MAX_QUESTION_LENGTH) -> QuestionProblem | None:
    """Return what is wrong with a question the visitor wrote, or None if it can be sent."""
    if text is None or not text.strip():
        return QuestionProblem.EMPTY
    if len(text) > limit:
        return QuestionProblem.TOO_LONG
    return None


class OfferReason(Enum):
    """Why the bot offers to send the question to staff; each has its own wording."""

    PERSON = "person"  # the visitor asked for a person
    UNCLEAR = "unclear"  # two messages in a row were not understood
    NOT_HELPFUL = "not_helpful"  # the visitor said an answer did not help


_REASON_OF_INTENT = {
    "request_human": OfferReason.PERSON,
    "nlu_fallback": OfferReason.UNCLEAR,
    "not_helpful": OfferReason.NOT_HELPFUL,
}


def offer_reason(intent: str | None) -> OfferReason:
    """Return why staff are offered, from the intent of the message that led to the offer."""
    # Asking for a person is the safe default: its wording gives the phone number too.
    return _REASON_OF_INTENT.get(intent or "", OfferReason.PERSON)


def closest_topics(
    ranking: Iterable[Mapping[str, Any]],
    topics: Collection[str],
    main_topics: Sequence[str],
    limit: int = MAX_TOPIC_BUTTONS,
    min_confidence: float = MIN_TOPIC_CONFIDENCE,
) -> list[str]:
    """Return the topics (intent names) to offer as buttons after an unclear message.

    `ranking` is the message's intent ranking, best first. Only intents in `topics` count
    (not nlu_fallback, out_of_scope, greetings or form answers), and only when scored at
    least `min_confidence`. Without any such lead, the main topics are offered.
    """
    chosen: list[str] = []
    for entry in ranking:
        name, confidence = entry.get("name"), entry.get("confidence") or 0.0
        if name in topics and name not in chosen and confidence >= min_confidence:
            chosen.append(name)
        if len(chosen) == limit:
            break
    return chosen or [topic for topic in main_topics if topic in topics]


def _is_action(event: Mapping[str, Any], name: str) -> bool:
    return event.get("event") == "action" and event.get("name") == name


def _button_title(payload: str, buttons: Iterable[Mapping[str, Any]]) -> str | None:
    return next((b.get("title") for b in buttons if b.get("payload") == payload), None)


def conversation_turns(
    events: Sequence[Mapping[str, Any]], start_actions: Collection[str]
) -> list[tuple[str, str]]:
    """Return the (speaker, text) turns of this session before the latest of `start_actions`.

    They are the context staff see: what the visitor asked and what the bot answered
    before the hand-over began, not the hand-over itself (consent, address). A click on
    a button is shown as the button's title; a payload without one is left out.
    """
    starts = [i for i, e in enumerate(events) if any(_is_action(e, a) for a in start_actions)]
    end = starts[-1] if starts else len(events)
    begin = max(
        (i for i, e in enumerate(events[:end]) if e.get("event") == "session_started"),
        default=-1,
    )
    turns: list[tuple[str, str]] = []
    buttons: list[Mapping[str, Any]] = []
    for event in events[begin + 1 : end]:
        kind, text = event.get("event"), event.get("text") or ""
        if kind == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            if text.strip():
                turns.append(("bot", text))
        elif kind == "user" and text.strip():
            if text.startswith("/"):
                title = _button_title(text, buttons)
                if title:
                    turns.append(("user", title))
            else:
                turns.append(("user", text))
    return turns
