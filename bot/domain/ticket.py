"""Tickets: questions the bot hands to staff. Pure rules, no storage or mail transport."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

# Staff see this many of the conversation's last turns: enough context, not the whole chat.
LAST_TURNS = 10
# Subject excerpts stay short enough for a mailbox's list view.
EXCERPT_LENGTH = 60
# The longest address RFC 5321 allows in a path.
MAX_ADDRESS_LENGTH = 254

_WHITESPACE = re.compile(r"\s+")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")


class TicketError(ValueError):
    """A ticket cannot be made from what the caller gave."""


@dataclass(frozen=True)
class Turn:
    """One message of the conversation: who said it ("user" or "bot") and what."""

    speaker: str
    text: str


@dataclass(frozen=True)
class Ticket:
    """A question handed to staff, known to the visitor by its reference."""

    reference: str
    question: str
    turns: tuple[Turn, ...]
    reply_to: str | None
    created_at: datetime
    conversation_ref: str


@dataclass(frozen=True)
class StoredTicket:
    """A ticket as kept in the app database, with the state of its mail to staff."""

    reference: str
    created_at: datetime
    conversation_ref: str
    question: str
    reply_to: str | None
    mail_status: str

    def as_dict(self) -> dict[str, object]:
        """Return it as plain JSON values (what a staff export shows)."""
        return {
            "reference": self.reference,
            "created_at": self.created_at.isoformat(),
            "conversation_ref": self.conversation_ref,
            "question": self.question,
            "reply_to": self.reply_to,
            "mail_status": self.mail_status,
        }


@dataclass(frozen=True)
class Withdrawal:
    """Addresses removed from tickets, by whether their mail had reached staff yet."""

    # Mail not yet delivered: rebuilt without the address, staff get it without one.
    unsent: int = 0
    # Mail delivered (or being delivered right now): staff have the address; only the
    # stored copy was changed.
    sent: int = 0

    @property
    def tickets(self) -> int:
        """How many tickets lost their address."""
        return self.unsent + self.sent


def ticket_reference(year: int, number: int) -> str:
    """Return the reference staff and visitor use, e.g. ASF-2026-000123."""
    if number < 1:
        raise TicketError(f"a ticket number starts at 1, not {number}")
    return f"ASF-{year}-{number:06d}"


def single_line(text: str) -> str:
    """Return the text on one line: every control character a space, whitespace collapsed."""
    # Categories C* (CR, LF, tab, NUL, format characters such as bidi overrides,
    # unassigned code points) and Z* (every kind of space, the line and paragraph
    # separators) all become one plain space.
    visible = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in text)
    return _WHITESPACE.sub(" ", visible).strip()


def plain_text(text: str) -> str:
    """Return the text as written, less invisible control characters; line breaks kept."""
    for line_break in ("\r\n", "\r", "\x85", "\u2028", "\u2029"):
        text = text.replace(line_break, "\n")
    # NUL, escape sequences and the like: nothing a visitor means, and PostgreSQL
    # refuses NUL in text.
    return "".join(
        ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("Cc")
    )


def subject_excerpt(question: str, limit: int = EXCERPT_LENGTH) -> str:
    """Return a short one-line excerpt of the question, cut on a word boundary with "…"."""
    # "=?" could start an encoded word that a mail program would decode into other text.
    line = single_line(question).replace("=?", "= ?")
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut and line[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def clean_reply_to(address: str | None) -> str | None:
    """Return the visitor's address when it is one plain address; TicketError otherwise."""
    if address is None or address.strip() == "":
        return None
    address = address.strip()
    if len(address) > MAX_ADDRESS_LENGTH or not _ADDRESS.match(address):
        # Never a display name, a list or a line break: one address, or nothing.
        raise TicketError("the reply address is not a single plain e-mail address")
    if any(unicodedata.category(ch).startswith("C") for ch in address):
        raise TicketError("the reply address contains control characters")
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        # A header can carry it only where every relay speaks SMTPUTF8; few do.
        raise TicketError("the reply address has letters outside ASCII before the @")
    try:
        # exämple.se -> xn--exmple-cua.se: the form every mail header can carry.
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise TicketError("the reply address's domain is not a valid domain name") from error
    return f"{local}@{domain}"


def address_forms(address: str) -> set[str]:
    """Return the ways an address may be written: as given, and with its domain in ASCII
    (xn--) and in Unicode form, so that every copy of it can be found."""
    address = address.strip()
    local, _, domain = address.rpartition("@")
    forms = {address}
    try:
        forms.add(f"{local}@{domain.encode('idna').decode('ascii')}")
        forms.add(f"{local}@{domain.encode('ascii').decode('idna')}")
    except UnicodeError:
        pass
    return forms


def address_pattern(forms: set[str]) -> re.Pattern[str]:
    """Return a pattern finding any of `forms`, whatever its case."""
    # Longest first, so that no shorter form leaves part of a longer one behind.
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(re.escape(form) for form in ordered), re.IGNORECASE)


def without_address(text: str, address: str, placeholder: str) -> str:
    """Return `text` with every copy of `address` (any case, any domain form) replaced."""
    return address_pattern(address_forms(address)).sub(placeholder, text)


def last_turns(turns: list[tuple[str, str]], count: int = LAST_TURNS) -> tuple[Turn, ...]:
    """Return the conversation's last `count` turns."""
    kept = turns[-count:] if count else []
    return tuple(Turn(speaker, plain_text(text)) for speaker, text in kept)


def message_id(ticket: Ticket, domain: str) -> str:
    """Return the ticket's Message-ID: the same for every send of the same ticket."""
    # The creation time tells apart tickets of two databases that reuse a number (a
    # development database made anew), which a mailbox might otherwise take as one mail.
    stamp = ticket.created_at.strftime("%Y%m%dT%H%M%S%f")
    return f"<{ticket.reference}.{stamp}@{domain}>"
