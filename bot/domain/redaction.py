"""Remove visitors' personal data from text: e-mail addresses, personnummer, phone numbers.

One redactor for everything that is kept: Rasa's conversation store (bot.nlp.tracker_store)
and every log line (bot.runtime.log_redaction). It errs on the side of removing too much: a
malformed address ("anna@", "anna@gmail,com", "anna @ exempel.se") is as personal as a
valid one. Pure Python, no Rasa.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

EMAIL_PLACEHOLDER = "[e-postadress]"
PERSONNUMMER_PLACEHOLDER = "[personnummer]"
PHONE_PLACEHOLDER = "[telefonnummer]"

# Characters that end a word around an address: whitespace, brackets, quotes, and
# separators that cannot be part of one.
_NOT_IN_LOCAL = r"\s@<>()\[\]{}\"'“”‘’«»,;:"
_NOT_IN_DOMAIN = r"\s@<>()\[\]{}\"'“”‘’«»;:"
# A local part and/or a domain around an @. A space or tab may stand before the @, and
# after it when a domain with a dot follows ("anna @ exempel.se"). Commas are allowed in
# the domain ("gmail,com" is a typo of an address).
_EMAIL = re.compile(
    rf"[^{_NOT_IN_LOCAL}]+[ \t]?@(?:[ \t][^{_NOT_IN_DOMAIN}]*?[.,][^{_NOT_IN_DOMAIN}]+"
    rf"|[^{_NOT_IN_DOMAIN}]*)"
    rf"|@[^{_NOT_IN_DOMAIN}]+"
)
# Sentence punctuation after an address belongs to the sentence, not to the address.
_TRAILING = re.compile(r"[.,!?]+$")

# Swedish personnummer and samordningsnummer: (YY)YYMMDD, then -, +, a space or nothing,
# then four digits. Day 61-91 is a samordningsnummer. Not followed by a decimal part, so a
# timestamp such as 1712150000.5 is left alone.
_PERSONNUMMER = re.compile(
    r"(?<![\w+])"
    r"(?:(?:18|19|20)\d{2}|\d{2})"
    r"(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"(?P<separator>[-+ ]?)\d{4}"
    r"(?!\w|[.,]\d)"
)
# Swedish phone numbers: 0 or +46 / 0046 (optionally "(0)"), then 5 to 9 more digits
# with single spaces, hyphens or slashes between them: 08-681 92 23, 070-123 45 67,
# 0701234567, +46 70 123 45 67, 031/12 34 56.
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\+|00)46[ \t-]*(?:\(0\)[ \t-]*)?[1-9]|0[1-9])"
    r"(?:[ \t/-]?\d){5,9}"
    r"(?!\w|[.,]\d)"
)
# Personnummer and phone numbers have digits; a string without any needs neither pattern.
_DIGIT = re.compile(r"\d")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _national(digits: str) -> str:
    """A phone number's digits as dialled inside Sweden: 46701234567 -> 0701234567."""
    if digits.startswith("0046"):
        digits = digits[4:]
    elif digits.startswith("46"):
        digits = digits[2:]
    digits = digits.removeprefix("0")
    return "0" + digits


@dataclass(frozen=True)
class Redactor:
    """Replaces personal data in text with placeholders, keeping published contact details.

    `public_emails` and `public_phones` are the agency's own published contact details
    (content/contacts.yml): they are not a visitor's data, and answers may keep them.
    """

    public_emails: frozenset[str] = field(default_factory=frozenset)
    public_phones: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def keeping(cls, emails: Iterable[str] = (), phones: Iterable[str] = ()) -> Redactor:
        """Return a redactor that leaves these published addresses and numbers as they are."""
        return cls(
            public_emails=frozenset(e.strip().lower() for e in emails if e),
            public_phones=frozenset(_national(_digits(p)) for p in phones if _digits(p)),
        )

    def redact(self, text: str) -> str:
        """Return `text` with e-mail addresses, personnummer and phone numbers replaced."""
        if not text:
            return text
        # Addresses need an "@", personnummer and phone numbers digits; most strings
        # written (intent and action names) have neither.
        if "@" in text:
            text = _EMAIL.sub(self._email, text)
        if _DIGIT.search(text):
            text = _PERSONNUMMER.sub(self._personnummer, text)
            text = _PHONE.sub(self._phone, text)
        return text

    def redact_value(self, value: Any) -> Any:
        """Redact every string inside `value` (strings, lists, tuples and dicts' values)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {key: self.redact_value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.redact_value(item) for item in value)
        return value

    def _email(self, match: re.Match[str]) -> str:
        found = match.group(0)
        trailing = _TRAILING.search(found)
        address = found[: trailing.start()] if trailing else found
        if address.lower() in self.public_emails:
            return found
        return EMAIL_PLACEHOLDER + (trailing.group(0) if trailing else "")

    def _personnummer(self, match: re.Match[str]) -> str:
        digits = match.group(0)
        # Ten digits without a separator that start with 0 are far more often a mobile
        # number (070...) than the personnummer of someone born 2000-2009.
        if not match.group("separator") and len(digits) == 10 and digits.startswith("0"):
            return self._phone(match)
        return PERSONNUMMER_PLACEHOLDER

    def _phone(self, match: re.Match[str]) -> str:
        if _national(_digits(match.group(0))) in self.public_phones:
            return match.group(0)
        return PHONE_PLACEHOLDER


_DEFAULT = Redactor()


def redact(text: str) -> str:
    """Return `text` with every e-mail address, personnummer and phone number replaced."""
    return _DEFAULT.redact(text)
