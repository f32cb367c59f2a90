"""Consent to keep a visitor's e-mail address: purposes, records, retention. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

# After this many addresses that could not be read, the bot stops asking and offers the
# phone number instead.
MAX_ADDRESS_ATTEMPTS = 3


class Purpose(str, Enum):
    """Why an address is kept; stored as the value, shown to the visitor as it is."""

    # Kept for records made before escalation existed: the address for an answer by e-mail.
    REPLY = "svar på fråga"
    # A question handed to staff (a ticket): a staff member answers by e-mail.
    ESCALATION = "svar från handläggare"
    # A summary of a start-up counselling meeting, mailed to the founder with the PDF.
    SUMMARY = "sammanfattning från rådgivning"


@dataclass(frozen=True)
class ConsentRecord:
    """One address kept with the visitor's consent, and everything needed to account for it."""

    id: int
    address: str
    purpose: Purpose
    policy_version: str
    consented_at: datetime
    conversation_ref: str
    retain_until: datetime

    def as_dict(self) -> dict[str, object]:
        """Return the record as plain JSON values (what an export shows)."""
        return {
            "id": self.id,
            "address": self.address,
            "purpose": self.purpose.value,
            "policy_version": self.policy_version,
            "consented_at": self.consented_at.isoformat(),
            "conversation_ref": self.conversation_ref,
            "retain_until": self.retain_until.isoformat(),
        }


def retention_deadline(consented_at: datetime, retention_days: int) -> datetime:
    """Return when an address given at `consented_at` must be gone."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    return consented_at + timedelta(days=retention_days)


def gives_up(failed_attempts: int) -> bool:
    """Return True when the bot should stop asking for an address."""
    return failed_attempts >= MAX_ADDRESS_ATTEMPTS


# A slot the deletion action sets. When the tracker store sees it among the events it is
# to save, it deletes the whole conversation instead (bot.nlp.tracker_store).
FORGET_CONVERSATION_SLOT = "forget_conversation"


class FormOutcome(Enum):
    """How the consent form ended."""

    KEEP = "keep"  # consent and a valid address: keep it
    DECLINED = "declined"  # no consent (Nej, or stopped): keep nothing, give the contact
    GAVE_UP = "gave_up"  # consent, but no usable address after MAX_ADDRESS_ATTEMPTS


def form_outcome(consent: bool | None, address: str | None, failed_attempts: int) -> FormOutcome:
    """Return what to do when the consent form ends with these answers."""
    if consent is True and address:
        return FormOutcome.KEEP
    if consent is True and gives_up(failed_attempts):
        return FormOutcome.GAVE_UP
    return FormOutcome.DECLINED
