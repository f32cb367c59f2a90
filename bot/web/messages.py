"""The chat API's answers to visitors when a message is not passed on to the bot."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import yaml

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


def load_messages(path: Path = MESSAGES_FILE) -> Messages:
    """Read the messages file; a missing text fails at start, not in front of a visitor."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = [field.name for field in fields(Messages)]
    missing = [name for name in names if not isinstance(data.get(name), str)]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    return Messages(**{name: data[name] for name in names})
