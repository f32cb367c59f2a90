"""The eligibility checklist: form validation, result, change of answer, reset."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.services import UsesServices, variant
from bot.domain.checklist import CRITERIA, Answer, change_payload

SLOTS = {criterion: f"checklist_{criterion}" for criterion in CRITERIA}
CRITERION_OF_SLOT = {slot: criterion for criterion, slot in SLOTS.items()}
# The intents behind the Ja / Nej / Vet inte buttons; domain.yml maps them to answers.
ANSWER_PAYLOADS = {Answer.YES: "/affirm", Answer.NO: "/deny", Answer.UNKNOWN: "/dont_know"}


def _valid(value: Any) -> str | None:
    return value if value in {answer.value for answer in Answer} else None


class ValidateChecklistForm(FormValidationAction):
    """Keep only Ja / Nej / Vet inte as answers; anything else asks again."""

    def name(self) -> str:
        return "validate_checklist_form"

    async def validate_checklist_business(self, value: Any, *args: Any) -> dict[str, Any]:
        return {SLOTS["business"]: _valid(value)}

    async def validate_checklist_purpose(self, value: Any, *args: Any) -> dict[str, Any]:
        return {SLOTS["purpose"]: _valid(value)}

    async def validate_checklist_participation(self, value: Any, *args: Any) -> dict[str, Any]:
        return {SLOTS["participation"]: _valid(value)}

    async def validate_checklist_reinvestment(self, value: Any, *args: Any) -> dict[str, Any]:
        return {SLOTS["reinvestment"]: _valid(value)}

    async def validate_checklist_independence(self, value: Any, *args: Any) -> dict[str, Any]:
        return {SLOTS["independence"]: _valid(value)}

    async def validate_checklist_public_services(self, value: Any, *args: Any) -> dict[str, Any]:
        return {SLOTS["public_services"]: _valid(value)}


class _AskChecklistQuestion(UsesServices, Action, ABC):
    """Ask one criterion's question with Ja / Nej / Vet inte buttons (called by the form),
    in the conversation's variant."""

    @property
    @abstractmethod
    def criterion(self) -> str:
        """The criterion whose question this action asks."""

    def name(self) -> str:
        return f"action_ask_{SLOTS[self.criterion]}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        texts = self.services.content.checklist(variant(tracker))
        buttons = [
            {"title": texts.answers[answer.value], "payload": payload}
            for answer, payload in ANSWER_PAYLOADS.items()
        ]
        dispatcher.utter_message(text=texts.questions[self.criterion], buttons=buttons)
        return []


class ActionAskChecklistBusiness(_AskChecklistQuestion):
    criterion = "business"


class ActionAskChecklistPurpose(_AskChecklistQuestion):
    criterion = "purpose"


class ActionAskChecklistParticipation(_AskChecklistQuestion):
    criterion = "participation"


class ActionAskChecklistReinvestment(_AskChecklistQuestion):
    criterion = "reinvestment"


class ActionAskChecklistIndependence(_AskChecklistQuestion):
    criterion = "independence"


class ActionAskChecklistPublicServices(_AskChecklistQuestion):
    criterion = "public_services"


class ActionExplainChecklistQuestion(UsesServices, Action):
    """Explain why the question being asked matters; the form then asks it again."""

    def name(self) -> str:
        return "action_explain_checklist_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        criterion = CRITERION_OF_SLOT.get(tracker.get_slot("requested_slot"))
        if criterion:
            texts = self.services.content.checklist(variant(tracker))
            dispatcher.utter_message(text=texts.explanations[criterion])
        return []


class ActionChecklistResult(UsesServices, Action):
    """Evaluate and store the completed checklist, then show the result."""

    def name(self) -> str:
        return "action_checklist_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        services = self.services
        values = {c: tracker.get_slot(slot) for c, slot in SLOTS.items()}
        result = await asyncio.to_thread(services.checklists.complete, values, tracker.sender_id)
        dispatcher.utter_message(text=services.content.checklist(variant(tracker)).result(result))
        return []


class ActionChangeAnswer(UsesServices, Action):
    """Forget the answer the visitor wants to change, so the form asks it again.

    With no answer given yet, there is nothing to change: say what the bot can do.
    """

    def name(self) -> str:
        return "action_change_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        in_checklist = tracker.active_loop_name == "checklist_form"
        if not in_checklist and all(tracker.get_slot(slot) is None for slot in SLOTS.values()):
            # No checklist answer in this conversation: nothing to change, and the
            # checklist is not started unasked.
            dispatcher.utter_message(response="utter_nothing_asked")
            return [FollowupAction("action_listen")]
        criterion = next(tracker.get_latest_entity_values("criterion"), None)
        if criterion in SLOTS:
            return [SlotSet(SLOTS[criterion], None)]
        texts = self.services.content.checklist(variant(tracker))
        buttons = [
            {"title": texts.button_titles[c], "payload": change_payload(c)} for c in CRITERIA
        ]
        dispatcher.utter_message(text=texts.which_answer, buttons=buttons)
        # Wait for the visitor's choice instead of running the form with nothing changed.
        return [FollowupAction("action_listen")]


class ActionResetChecklist(Action):
    """Forget every checklist answer, to start the checklist over."""

    def name(self) -> str:
        return "action_reset_checklist"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return [SlotSet(slot, None) for slot in SLOTS.values()]
