"""E-mail addresses only with consent: the consent form, keeping, showing and deleting."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.services import UsesServices, variant
from bot.domain.consent import (
    FORGET_CONVERSATION_SLOT,
    FormOutcome,
    Purpose,
    form_outcome,
    gives_up,
)
from bot.domain.email_address import InvalidAddress, reply_address

PURPOSE, CONSENT, ADDRESS, ATTEMPTS = (
    "email_purpose",
    "email_consent",
    "email_address",
    "email_attempts",
)
# The id of the consent record kept by the form, for the action that runs after it (the
# ticket's reply address is read back from the record, never kept in a slot).
RECORD = "email_record"
# Set while email_form runs for a counselling summary: the rules that end the form
# (data/rules_privacy.yml) send the summary instead of handing a question to staff.
SUMMARY_REQUESTED = "summary_requested"
# The intents behind the Ja / Nej buttons; domain.yml maps them to the consent slot.
CONSENT_PAYLOADS = {"ja": "/affirm", "nej": "/deny"}


def yes_no_buttons(answers: dict[str, str]) -> list[dict[str, str]]:
    """The Ja / Nej buttons, titled from a content file's `answers`."""
    return [
        {"title": answers[answer], "payload": payload}
        for answer, payload in CONSENT_PAYLOADS.items()
    ]


log = logging.getLogger(__name__)


def _attempts(tracker: Tracker) -> int:
    return int(tracker.get_slot(ATTEMPTS) or 0)


def _purpose(tracker: Tracker) -> Purpose:
    # A form started before purposes existed, or without one: an answer from staff.
    try:
        return Purpose(tracker.get_slot(PURPOSE) or Purpose.ESCALATION.value)
    except ValueError:
        return Purpose.ESCALATION


def cleared_email_slots() -> list[dict[str, Any]]:
    """Forget the purpose, consent, address and attempts of an earlier email_form."""
    return [
        SlotSet(PURPOSE, None),
        SlotSet(CONSENT, None),
        SlotSet(ADDRESS, None),
        SlotSet(ATTEMPTS, None),
    ]


def consent_time(tracker: Tracker) -> datetime | None:
    """Return when the visitor said Ja to the statement in this conversation."""
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == CONSENT and event.get("value"):
            return datetime.fromtimestamp(event["timestamp"], tz=timezone.utc)
    return None


class StartEmailForm(UsesServices, Action, ABC):
    """Forget any earlier answers and set the purpose, before email_form runs.

    A flow that needs an address subclasses it with its own purpose and runs email_form
    after it (actions/escalation.py and data/rules_escalation.yml show how).
    """

    @property
    @abstractmethod
    def purpose(self) -> Purpose:
        """Why the address will be kept."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        summary = True if self.purpose is Purpose.SUMMARY else None
        return [
            *cleared_email_slots()[1:],
            SlotSet(PURPOSE, self.purpose.value),
            SlotSet(SUMMARY_REQUESTED, summary),
        ]


class ActionAskEmailConsent(UsesServices, Action):
    """Show the privacy statement and ask for consent with Ja / Nej buttons."""

    def name(self) -> str:
        return "action_ask_email_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        texts = self.services.content.privacy(variant(tracker))
        dispatcher.utter_message(
            text=texts.consent_request(_purpose(tracker)), buttons=yes_no_buttons(texts.answers)
        )
        return []


class ActionAskEmailAddress(UsesServices, Action):
    """Ask for the address (only ever after consent: the form asks consent first)."""

    def name(self) -> str:
        return "action_ask_email_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        texts = self.services.content.privacy(variant(tracker))
        dispatcher.utter_message(text=texts.ask_address)
        return []


class ValidateEmailForm(UsesServices, FormValidationAction):
    """No address without consent; a typed address is checked and its problem named.

    The address is for staff's reply to a question, so it must be one they can reply to.
    """

    def name(self) -> str:
        return "validate_email_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # Without a Ja, or after too many unusable addresses, no address is asked for.
        if tracker.get_slot(CONSENT) is not True or gives_up(_attempts(tracker)):
            return [CONSENT]
        return domain_slots

    async def validate_email_consent(self, value: Any, *args: Any) -> dict[str, Any]:
        return {CONSENT: value if isinstance(value, bool) else None}

    async def validate_email_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {ADDRESS: reply_address(str(value or ""))}
        except InvalidAddress as error:
            texts = self.services.content.privacy(variant(tracker))
            dispatcher.utter_message(text=texts.problem(error.problem))
            return {ADDRESS: None, ATTEMPTS: float(_attempts(tracker) + 1)}


class ActionSaveEmailAddress(UsesServices, Action):
    """When the form ends: keep the address (its record's id in a slot), or keep nothing."""

    def name(self) -> str:
        return "action_save_email_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        content = self.services.content
        texts = content.privacy(variant(tracker))
        address = tracker.get_slot(ADDRESS)
        outcome = form_outcome(tracker.get_slot(CONSENT), address, _attempts(tracker))
        if outcome is not FormOutcome.KEEP:
            text = texts.give_up if outcome is FormOutcome.GAVE_UP else texts.declined
            dispatcher.utter_message(text=texts.with_contact(text, content.contact()))
            return [*cleared_email_slots(), SlotSet(RECORD, None)]
        purpose = _purpose(tracker)
        try:
            record = await asyncio.to_thread(
                self.services.privacy.record,
                address,
                purpose,
                texts.version,
                tracker.sender_id,
                consent_time(tracker),
            )
        except SQLAlchemyError as error:
            # Never the address or the statement's parameters: only what kind of failure.
            log.error("Could not keep an address given with consent: %s", type(error).__name__)
            record = None
        else:
            dispatcher.utter_message(text=texts.saved_for(purpose))
        # The address leaves the conversation's slots as soon as it is kept.
        return [*cleared_email_slots(), SlotSet(RECORD, None if record is None else float(record))]


class ActionShowMyData(UsesServices, Action):
    """Tell the visitor what is kept from this conversation."""

    def name(self) -> str:
        return "action_show_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        kept = await asyncio.to_thread(self.services.privacy.kept_for, tracker.sender_id)
        texts = self.services.content.privacy(variant(tracker))
        dispatcher.utter_message(
            text=texts.stored(kept.records, kept.tickets, kept.question, kept.summaries)
        )
        return []


class ActionConfirmDeletion(UsesServices, Action):
    """Ask before deleting: say exactly what will go, with Ja / Nej (only Ja deletes)."""

    def name(self) -> str:
        return "action_confirm_deletion"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        kept = await asyncio.to_thread(self.services.privacy.kept_for, tracker.sender_id)
        texts = self.services.content.privacy(variant(tracker))
        dispatcher.utter_message(
            text=texts.deletion_question(kept.records, kept.tickets, kept.question, kept.summaries),
            buttons=yes_no_buttons(texts.delete_answers),
        )
        return []


class ActionDeleteMyData(UsesServices, Action):
    """Delete the conversation's addresses and consent records, its question not yet sent,
    its summary mails, the address from its tickets and their mail, and the conversation."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        deletion = await asyncio.to_thread(self.services.privacy.forget, tracker.sender_id)
        content = self.services.content
        text = content.privacy(variant(tracker)).after_deletion(
            deletion.records,
            deletion.pending_questions,
            deletion.tickets,
            content.contact(),
            deletion.summaries,
        )
        dispatcher.utter_message(text=text)
        # The tracker store deletes the whole conversation when it sees this slot.
        return [*cleared_email_slots(), SlotSet(FORGET_CONVERSATION_SLOT, True)]
