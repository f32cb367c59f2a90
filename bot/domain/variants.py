"""The three ways the bot can write an answer, and the checks every translation must pass.

A conversation is in Swedish, in English, or in lättläst (easy-to-read) Swedish. Two
Rasa slots decide which: `language` (sv or en) and `reading_mode` (standard or
lattlast). Lättläst applies to Swedish only; an English conversation is in English
whatever the reading mode.
"""

from __future__ import annotations

import re
from enum import Enum

LANGUAGE_SLOT = "language"
READING_MODE_SLOT = "reading_mode"


class Variant(str, Enum):
    """Which text of an answer a visitor gets."""

    SV = "sv"
    EN = "en"
    LATTLAST = "lattlast"


def variant_of(language: object, reading_mode: object) -> Variant:
    """Return the variant the slots ask for; anything unknown reads as plain Swedish."""
    if language == "en":
        return Variant.EN
    if reading_mode == "lattlast":
        return Variant.LATTLAST
    return Variant.SV


# --- Readability -----------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", re.UNICODE)
# A sentence ends at . ! ? : or a line break (a bullet is a sentence of its own).
_SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)|\n+")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_URL = re.compile(
    r"(?<![@\w.-])(?:https?://)?[\w.-]+\.(?:se|com|org|eu)(?:/[\w./-]*)?", re.IGNORECASE
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _without(text: str, *patterns: re.Pattern[str]) -> str:
    """The text with e-mail addresses, then web addresses, then `patterns` blanked out
    (an address's domain must not count as a web address of its own)."""
    for pattern in (_EMAIL, _URL, *patterns):
        text = pattern.sub(" ", text)
    return text


def _words(text: str) -> list[str]:
    return _WORD.findall(_without(text, _PLACEHOLDER))


def lix(text: str) -> float:
    """Läsbarhetsindex: words per sentence plus the percentage of words of more than six letters.

    Placeholders, e-mail addresses and web addresses are not counted as words. A text
    without words scores 0.
    """
    words = _words(text)
    if not words:
        return 0.0
    sentences = [part for part in _SENTENCE_END.split(text) if _words(part)]
    long_words = sum(len(word) > 6 for word in words)
    return len(words) / max(len(sentences), 1) + 100 * long_words / len(words)


# --- Facts a translation must keep -------------------------------------------------

# Names of people, organisations, places and films on the agency page. A translation
# keeps them as they are written in Swedish (it may explain them beside).
NAMES = (
    "Tillväxtverket",
    "Arbetsförmedlingen",
    "M29",
    "Ingrid",
    "Ingemar",
    "Pierre",
    "Oskar",
    "Karina",
    "Susanne",
    "Västra Götaland",
    "Stockholm",
    "Skåne",
    "Att jobba i ett ASF",
    "Att leda ett ASF",
    "Samhällsnyttan med arbetsintegrerande sociala företag",
    "ASF Affärsutvecklingscheck",
    "ASF",
)

_PHONE = re.compile(r"\b0\d{1,3}-\d{2,3}(?: ?\d{2,4})+\b")
# Digits with thousands separated by a space, a no-break space or a comma: 9 200, 9,200.
_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f,]\d{3})*(?!\d)")


def facts(text: str) -> set[str]:
    """Return the numbers, names, phone numbers, e-mail and web addresses a text states.

    Numbers are compared by their digits ("9 200" and "9,200" are the same fact);
    everything else exactly as written. Placeholders such as `{contact_phone}` count as
    facts too: a translation must show the same figure the Swedish text shows.
    """
    found: set[str] = set()
    for pattern in (_EMAIL, _URL, _PHONE, _PLACEHOLDER):
        for match in pattern.findall(text):
            found.add(match.rstrip("."))
    rest = _without(text, _PHONE, _PLACEHOLDER)
    for number in _NUMBER.findall(rest):
        found.add(re.sub(r"\D", "", number))
    for name in NAMES:
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            found.add(name)
    return found


def missing_facts(swedish: str, translation: str) -> set[str]:
    """Return the facts of a Swedish text that its translation does not state."""
    return facts(swedish) - facts(translation)
