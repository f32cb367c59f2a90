"""Tell visitors who write in English that the bot answers in Swedish."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.language import is_english


class ActionNoteLanguage(Action):
    """Utter `utter_answer_in_swedish` before the answer when the message was English."""

    def name(self) -> str:
        return "action_note_language"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        if is_english(text):
            dispatcher.utter_message(response="utter_answer_in_swedish")
        return []
