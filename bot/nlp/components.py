"""Custom Rasa NLU components."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language import is_english

LANGUAGE_ENTITY = "language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Mark a message written in English with the entity `language: en`.

    Rules answer such a message with "Jag svarar bara på svenska." before the answer.
    Doing this inside the NLU pipeline, instead of in a custom action, spares every
    message a round trip to the action server (see bench/results/).
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Add `language: en` to the entities of every English message."""
        for message in messages:
            text = message.get(TEXT) or ""
            if is_english(text):
                entity = {
                    "entity": LANGUAGE_ENTITY,
                    "value": "en",
                    "start": 0,
                    "end": len(text),
                    "confidence": 1.0,
                }
                entities = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
                message.set(ENTITIES, entities, add_to_output=True)
        return messages
