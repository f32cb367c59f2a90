"""Start-up counselling: the summary mailed to the founder, and ending the session.

"Skicka till mig" (/send_summary): action_start_summary sets the purpose, email_form asks
for consent and the address, action_save_email_address keeps it, and action_send_summary
writes the mail with the PDF to the outbox (rules in data/rules_privacy.yml).
"Avsluta och rensa" (/end_session, after the page's own confirmation): action_end_session
deletes everything the conversation left and the conversation itself. Texts are in
content/privacy.yml.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.privacy import RECORD, SUMMARY_REQUESTED, StartEmailForm, cleared_email_slots
from actions.services import UsesServices, variant
from bot.domain.consent import FORGET_CONVERSATION_SLOT, Purpose

START_ACTION = "action_start_summary"

log = logging.getLogger(__name__)


class ActionStartSummary(StartEmailForm):
    """Start the summary's consent form clean: no earlier answers or record, its purpose set."""

    purpose = Purpose.SUMMARY

    def name(self) -> str:
        return START_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        return [*events, SlotSet(RECORD, None)]


class ActionSendSummary(UsesServices, Action):
    """When the form ends: with an address kept, the summary goes to the outbox; else nothing."""

    def name(self) -> str:
        return "action_send_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        content = self.services.content
        texts = content.privacy(variant(tracker))
        record = tracker.get_slot(RECORD)
        done = [SlotSet(RECORD, None), SlotSet(SUMMARY_REQUESTED, None)]
        if record is None:
            # No consent or no usable address: action_save_email_address kept nothing.
            dispatcher.utter_message(text=texts.summary_not_sent)
            return done
        try:
            reference = await asyncio.to_thread(
                self.services.summary_mail.send,
                tracker.sender_id,
                int(record),
                tracker.slots,
                variant(tracker),
            )
        except Exception as error:
            # Whatever failed (the database, the PDF), the founder is told at once and the
            # address is not kept. Logged without the address or the answers.
            log.error("Could not write a summary mail: %s", type(error).__name__)
            dispatcher.utter_message(
                text=texts.with_contact(texts.summary_failed, content.contact())
            )
        else:
            log.info("Wrote the summary mail %s", reference)
            dispatcher.utter_message(text=texts.summary_on_its_way)
        return done


class ActionEndSession(UsesServices, Action):
    """Delete everything of the conversation at once (the page asked first): addresses,
    consents, a question not sent, summary mails, the link from the checklist result and
    the votes on answers, and the conversation in the tracker store."""

    def name(self) -> str:
        return "action_end_session"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        deletion = await asyncio.to_thread(self.services.privacy.forget, tracker.sender_id)
        content = self.services.content
        text = content.privacy(variant(tracker)).after_session_end(
            deletion.pending_questions,
            deletion.tickets,
            deletion.summaries,
            deletion.checklists,
            content.contact(),
            votes=deletion.votes,
        )
        dispatcher.utter_message(text=text)
        # The tracker store deletes the whole conversation when it sees this slot.
        return [
            *cleared_email_slots(),
            SlotSet(RECORD, None),
            SlotSet(SUMMARY_REQUESTED, None),
            SlotSet(FORGET_CONVERSATION_SLOT, True),
        ]
