"""Questions the bot cannot answer go to staff: rephrase, offer, question, ticket.

The flow (rules in data/rules_escalation.yml): an unclear message gets a request to
rephrase with the closest topics; a second one in a row, a request for a person, or "det
hjälpte inte" gets the offer (Ja / Nej). After Ja (or straight away when the visitor asks
for an answer by e-mail), escalation_form takes the question as written, email_form asks
for consent to keep an address, and action_create_ticket hands the question to staff.
Texts are in content/escalation.yml.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.privacy import RECORD, StartEmailForm, cleared_email_slots, yes_no_buttons
from actions.services import UsesServices, variant
from bot.domain.consent import Purpose
from bot.domain.escalation import closest_topics, conversation_turns, offer_reason, question_problem
from bot.domain.ticket import TicketError
from bot.runtime.bootstrap import Services

QUESTION = "escalation_question"
START_ACTION = "action_start_escalation"
TAKE_TYPED_ACTION = "action_take_typed_question"

log = logging.getLogger(__name__)


def _forget_flow() -> list[dict[str, Any]]:
    """Slot events that leave nothing of a hand-over in the conversation."""
    return [*cleared_email_slots(), SlotSet(QUESTION, None), SlotSet(RECORD, None)]


class ActionRephraseWithTopics(UsesServices, Action):
    """Ask to rephrase an unclear message, with buttons for the closest topics."""

    def name(self) -> str:
        return "action_rephrase_with_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        texts = self.services.content.escalation(variant(tracker))
        ranking = tracker.latest_message.get("intent_ranking") or []
        topics = closest_topics(ranking, texts.topics, texts.main_topics)
        buttons = [{"title": texts.topics[topic], "payload": f"/{topic}"} for topic in topics]
        dispatcher.utter_message(text=texts.rephrase, buttons=buttons)
        return []


class ActionOfferEscalation(UsesServices, Action):
    """Offer to send the question to staff, worded for why (a person, unclear, no help)."""

    def name(self) -> str:
        return "action_offer_escalation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        content = self.services.content
        texts = content.escalation(variant(tracker))
        reason = offer_reason(tracker.latest_message.get("intent", {}).get("name"))
        dispatcher.utter_message(
            text=texts.offer(reason, content.contact()), buttons=yes_no_buttons(texts.answers)
        )
        return []


async def _discard_question(services: Services, conversation_id: str) -> None:
    """Delete the conversation's question kept for staff, if any; a failure is logged only."""
    try:
        await asyncio.to_thread(services.escalation.discard_question, conversation_id)
    except SQLAlchemyError as error:
        # purge deletes it after ASF_PENDING_QUESTION_HOURS in any case.
        log.error("Could not delete a question kept for staff: %s", type(error).__name__)


class ActionStartEscalation(StartEmailForm):
    """Start a hand-over clean: no earlier question, address or consent; the purpose set."""

    purpose = Purpose.ESCALATION

    def name(self) -> str:
        return START_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        # A question left from an earlier hand-over that was never finished must not
        # reach staff in place of the one the visitor is about to write.
        await _discard_question(self.services, tracker.sender_id)
        return [*events, SlotSet(QUESTION, None), SlotSet(RECORD, None)]


class ActionAskEscalationQuestion(UsesServices, Action):
    """Ask the visitor to write the question in their own words (called by the form)."""

    def name(self) -> str:
        return "action_ask_escalation_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        texts = self.services.content.escalation(variant(tracker))
        dispatcher.utter_message(text=texts.ask_question)
        return []


class ValidateEscalationForm(UsesServices, FormValidationAction):
    """Keep the question exactly as written, unless it is empty or far too long.

    It is kept in the app database here, while this message is handled: Rasa saves the
    conversation (and the slot) redacted afterwards, and the ticket is made from this copy.
    """

    def name(self) -> str:
        return "validate_escalation_form"

    async def validate_escalation_question(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            # The slot was cleared (the form is starting), not answered: nothing to check.
            return {QUESTION: None}
        text = value if isinstance(value, str) else None
        return {QUESTION: await _keep_question(self.services, dispatcher, tracker, text)}


async def _keep_question(
    services: Services, dispatcher: CollectingDispatcher, tracker: Tracker, text: str | None
) -> str | None:
    """Keep the question as written and return it; None (its problem said) if unusable."""
    problem = question_problem(text)
    if problem is not None:
        texts = services.content.escalation(variant(tracker))
        dispatcher.utter_message(text=texts.problem(problem))
        return None
    try:
        await asyncio.to_thread(services.escalation.accept_question, tracker.sender_id, text)
    except SQLAlchemyError as error:
        # Never the question: only what kind of failure. The ticket is then made from
        # the conversation's redacted copy, or fails and the visitor is told to call.
        log.error("Could not keep a question for staff: %s", type(error).__name__)
    return text


class ActionTakeTypedQuestion(ActionStartEscalation):
    """A question typed at the offer is the question for staff: keep it, then ask consent.

    Unusable (far too long), its problem is said and escalation_form asks for it again.
    """

    def name(self) -> str:
        return TAKE_TYPED_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        text = tracker.latest_message.get("text")
        question = await _keep_question(self.services, dispatcher, tracker, text)
        if question is None:
            return [*events, FollowupAction("escalation_form")]
        return [*events, SlotSet(QUESTION, question)]


class ActionCreateTicket(UsesServices, Action):
    """Hand the question to staff and show the reference; the phone number if that fails."""

    def name(self) -> str:
        return "action_create_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        content = self.services.content
        texts, contact = content.escalation(variant(tracker)), content.contact()
        record = tracker.get_slot(RECORD)
        try:
            ticket = await asyncio.to_thread(
                self.services.escalation.hand_over,
                tracker.get_slot(QUESTION) or "",
                conversation_turns(tracker.events, (START_ACTION, TAKE_TYPED_ACTION)),
                tracker.sender_id,
                None if record is None else int(record),
                variant(tracker),
            )
        except (SQLAlchemyError, TicketError) as error:
            # Logged without the question, the address or the database's parameters; the
            # visitor is told at once and given the phone number instead.
            log.error("Could not hand a question to staff: %s", type(error).__name__)
            dispatcher.utter_message(text=texts.failure(contact))
        else:
            log.info("Handed a question to staff as %s", ticket.reference)
            text = texts.handed_over(ticket.reference, contact, ticket.reply_to is not None)
            dispatcher.utter_message(text=text)
        return _forget_flow()


class ActionCancelEscalation(UsesServices, Action):
    """Nej to the offer, or "avbryt" at any point: send nothing, give the phone number."""

    def name(self) -> str:
        return "action_cancel_escalation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        await _discard_question(self.services, tracker.sender_id)
        content = self.services.content
        texts = content.escalation(variant(tracker))
        dispatcher.utter_message(text=texts.cancel(content.contact()))
        return _forget_flow()
