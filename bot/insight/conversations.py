"""Rasa's stored events, read as conversations: one per session, one turn per message.

Pure: plain event dicts (as Rasa's SQL tracker store keeps them, redacted already) in,
plain values out. No Rasa, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

# Actions that are Rasa's own bookkeeping, not an answer to the message.
_BOOKKEEPING = frozenset({"action_listen", "action_session_start", "action_unlikely_intent"})


@dataclass(frozen=True)
class Turn:
    """One message from the visitor and what the bot did with it."""

    at: datetime
    text: str
    intent: str | None
    # The actions the bot ran for this message, in order (Rasa's bookkeeping left out).
    actions: tuple[str, ...]
    # The names in domain.yml of the responses the bot uttered for it (utter_...).
    responses: tuple[str, ...]
    # The form that was active when the message came (its input, or an interruption).
    active_loop: str | None
    # The slot the active form asked for, e.g. "checklist_business".
    requested_slot: str | None
    # The slots a form asked for next while handling this message, in order.
    asked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversation:
    """One session of one visitor: the turns, in order.

    `ref` names the visitor's conversation as the app database does (the keyed hash
    bot.domain.pseudonym.conversation_ref); several sessions may share it.
    """

    ref: str
    turns: tuple[Turn, ...]

    @property
    def started_at(self) -> datetime:
        """When the visitor wrote the first message."""
        return self.turns[0].at


def _moment(event: Mapping[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(event.get("timestamp") or 0.0), tz=timezone.utc)


def _intent(event: Mapping[str, Any]) -> str | None:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return intent.get("name") or None


class _Builder:
    """Collects the turns of one session while its events are read in order."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.loop: str | None = None
        self.requested: str | None = None
        self._open: dict[str, Any] | None = None

    def user(self, event: Mapping[str, Any]) -> None:
        self.close()
        self._open = {
            "at": _moment(event),
            "text": event.get("text") or "",
            "intent": _intent(event),
            "actions": [],
            "responses": [],
            "active_loop": self.loop,
            "requested_slot": self.requested,
            "asked": [],
        }

    def action(self, name: str) -> None:
        if self._open is not None and name and name not in _BOOKKEEPING:
            self._open["actions"].append(name)

    def bot(self, event: Mapping[str, Any]) -> None:
        response = (event.get("metadata") or {}).get("utter_action")
        if self._open is not None and response:
            self._open["responses"].append(response)

    def request(self, slot: str | None) -> None:
        self.requested = slot
        if self._open is not None and slot:
            self._open["asked"].append(slot)

    def close(self) -> None:
        if self._open is not None:
            turn = dict(self._open)
            turn["actions"] = tuple(turn["actions"])
            turn["responses"] = tuple(turn["responses"])
            turn["asked"] = tuple(turn["asked"])
            self.turns.append(Turn(**turn))
            self._open = None


def conversations(ref: str, events: Iterable[Mapping[str, Any]]) -> list[Conversation]:
    """Return one visitor's sessions that hold at least one message, oldest first.

    `events` are the visitor's stored events in the order Rasa wrote them.
    """
    found: list[Conversation] = []
    builder = _Builder()

    def finish() -> None:
        builder.close()
        if builder.turns:
            found.append(Conversation(ref=ref, turns=tuple(builder.turns)))

    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            finish()
            builder = _Builder()
        elif kind == "user":
            builder.user(event)
        elif kind == "action":
            builder.action(event.get("name") or "")
        elif kind == "bot":
            builder.bot(event)
        elif kind == "active_loop":
            builder.loop = event.get("name") or None
            if builder.loop is None:
                builder.requested = None
        elif kind == "slot" and event.get("name") == "requested_slot":
            builder.request(event.get("value") or None)
        elif kind == "restart":
            builder.loop = builder.requested = None
    finish()
    return found
