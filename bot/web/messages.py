"""The chat API's answers to visitors when a message is not passed on to the bot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.services.content import load_text_fields

MESSAGES_FILE = Path(__file__).with_name("messages.yml")


@dataclass(frozen=True)
class Messages:
    """Swedish texts the widget shows as they are; see messages.yml."""

    bad_request: str
    bad_session: str
    empty: str
    unreadable: str
    too_long: str
    rate_limited: str
    unreachable: str
    unreachable_without_phone: str
    no_answer: str
    no_answer_without_phone: str
    vote_refused: str
    vote_failed: str


def load_messages(path: Path = MESSAGES_FILE) -> Messages:
    """Read the messages file; a missing text fails at start, not in front of a visitor."""
    return load_text_fields(path, Messages)
