"""The counselling summary mailed to a founder: its names and what is kept of it. Pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


class SummaryMailError(ValueError):
    """A summary mail cannot be made from what the caller gave."""


@dataclass(frozen=True)
class StoredSummaryMail:
    """A summary mail in the outbox, as a visitor or staff are told of it."""

    reference: str
    created_at: datetime
    mail_to: str
    status: str
    conversation_ref: str | None

    def as_dict(self) -> dict[str, object]:
        """Return it as plain JSON values (what a staff export shows)."""
        return {
            "reference": self.reference,
            "created_at": self.created_at.isoformat(),
            "mail_to": self.mail_to,
            "status": self.status,
            "conversation_ref": self.conversation_ref,
        }


@dataclass(frozen=True)
class MailDeletion:
    """Summary mails deleted, by whether they had been handed to the founder's server."""

    # Not sent yet: deleted, never sent.
    unsent: int = 0
    # Sent (or being sent right now): the founder has it; the stored copy is gone.
    sent: int = 0

    @property
    def mails(self) -> int:
        """How many summary mails were deleted."""
        return self.unsent + self.sent


def summary_reference(created_at: datetime, token: str) -> str:
    """Return a summary mail's reference, e.g. SAMMANFATTNING-20261202-9f3a1c2b.

    `token` is random: unlike a ticket's number, it tells nothing of how many were sent.
    """
    if not token or not token.isalnum():
        raise SummaryMailError("a summary reference needs a token of letters and digits")
    return f"SAMMANFATTNING-{created_at:%Y%m%d}-{token}"


def summary_filename(day: date) -> str:
    """Return the name of the attached PDF: sammanfattning-YYYY-MM-DD.pdf."""
    return f"sammanfattning-{day:%Y-%m-%d}.pdf"


def summary_message_id(reference: str, domain: str) -> str:
    """Return the mail's Message-ID: the same for every send of the same summary mail."""
    return f"<{reference}@{domain}>"
