"""What a visitor typed, made safe to read: one rule for every door into the bot.

Browsers, scripts and copy-and-paste bring characters that mean nothing to a reader and
break code further in: a lone UTF-16 surrogate (JSON may carry "\\ud800") cannot even be
encoded as UTF-8, and made spaCy, the tracker store and the log handlers raise. The web app
and Rasa's REST channel both read messages through `check_message`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

# Invisible characters that still belong to what was written: the joiners inside emoji
# sequences ("👩‍💻") and in scripts that need them.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})
# A subdivision flag ("🏴󠁧󠁢󠁳󠁣󠁴󠁿", Scotland) is a black flag, its region code in tag letters and
# digits, and a cancel tag; tags anywhere else are invisible text and are dropped.
_TAG_FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,7}\U000e007f")
# Cleaning is linear, but not free; no one types four times the limit in invisible
# characters, so such a message is refused as too long without being read.
RAW_LENGTH_FACTOR = 4


class Problem(Enum):
    """Why a message is not passed on to the bot."""

    EMPTY = "empty"  # nothing typed, or only spaces
    UNREADABLE = "unreadable"  # something typed, but none of it readable text
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class CheckedMessage:
    """A visitor's message after cleaning: the text to pass on, or the problem with it."""

    text: str
    problem: Problem | None = None


def _is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _unprintable(char: str) -> bool:
    """True for a character that is not text: surrogates, controls, invisible formatting."""
    category = unicodedata.category(char)
    if category == "Cs":
        return True
    if category == "Cc":
        # Tabs, line breaks and the like are kept here, and tidied later.
        return not char.isspace()
    if category == "Cf":
        # Bidi overrides and isolates, zero-width spaces, soft hyphens, BOMs, tags.
        return char not in _KEPT_FORMAT
    # Unassigned code points (Cn) are kept: emoji newer than Python's Unicode tables
    # are unassigned to it. The noncharacters U+FFFE, U+FFFF, ... are never text.
    return _is_noncharacter(ord(char))


def _drop_unprintable(text: str) -> str:
    return "".join(char for char in text if not _unprintable(char))


def _join_surrogate_pairs(text: str) -> str:
    # A pair of surrogates as two code points ("\ud83d\ude00") is one character (😀);
    # lone surrogates stay lone and are dropped afterwards.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _tidy_whitespace(text: str) -> str:
    # Line breaks of every kind become "\n" (a question for staff keeps its lines), other
    # whitespace single spaces; no line starts or ends with a space, and blank lines
    # shrink to one.
    lines: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


def clean_text(raw: str) -> str:
    """Return `raw` as readable text: no surrogates, controls or invisible formatting, NFC,
    single spaces and line breaks, trimmed. Ordinary text comes back unchanged."""
    text = _join_surrogate_pairs(raw)
    parts: list[str] = []
    start = 0
    for flag in _TAG_FLAG.finditer(text):
        parts += [_drop_unprintable(text[start : flag.start()]), flag.group()]
        start = flag.end()
    parts.append(_drop_unprintable(text[start:]))
    # Normalised after dropping: a removed character may have separated a letter from
    # its accent.
    text = unicodedata.normalize("NFC", "".join(parts))
    return _tidy_whitespace(text)


def check_message(raw: str, max_length: int) -> CheckedMessage:
    """Clean a visitor's message and decide whether it can go to the bot.

    The length limit counts the cleaned text: what the bot would read."""
    if len(raw) > max_length * RAW_LENGTH_FACTOR:
        return CheckedMessage("", Problem.TOO_LONG)
    text = clean_text(raw)
    if not text:
        typed_something = any(not char.isspace() for char in raw)
        return CheckedMessage("", Problem.UNREADABLE if typed_something else Problem.EMPTY)
    if len(text) > max_length:
        return CheckedMessage("", Problem.TOO_LONG)
    return CheckedMessage(text)
