"""Load the content staff edit (calls, contacts) into slots that responses show."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import variant
from bot.runtime.bootstrap import bootstrap
from bot.services.content import ContentRepository


class ActionLoadContact(Action):
    """Fill the contact slots from content/contacts.yml."""

    def __init__(self, content: ContentRepository | None = None) -> None:
        self._content = content

    def name(self) -> str:
        return "action_load_contact"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        contact = (self._content or bootstrap().content).contact()
        return [
            SlotSet("contact_name", contact.name),
            SlotSet("contact_organisation", contact.organisation),
            SlotSet("contact_phone", contact.phone),
            SlotSet("contact_email", contact.email),
            # The English and lättläst contact variations in domain.yml are conditioned
            # on this: a slot condition can test a value, not that a slot is filled.
            SlotSet("contact_loaded", True),
        ]


class ActionLoadCalls(Action):
    """Fill the call slots from content/calls.yml, told in the conversation's variant."""

    def __init__(self, content: ContentRepository | None = None) -> None:
        self._content = content

    def name(self) -> str:
        return "action_load_calls"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        calls = (self._content or bootstrap().content).calls(variant(tracker))
        return [
            SlotSet("calls_open", bool(calls.open)),
            SlotSet("calls_text", calls.summary()),
        ]
