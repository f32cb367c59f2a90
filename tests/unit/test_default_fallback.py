"""When no rule or story fits, Rasa's default fallback still answers the visitor."""

from __future__ import annotations

import asyncio

from rasa.core.actions.action import ActionDefaultFallback
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUtteranceReverted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.settings import PROJECT_ROOT


def test_the_default_fallback_asks_to_rephrase_in_swedish_and_forgets_the_message():
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = DialogueStateTracker("visitor", domain.slots)
    events = asyncio.run(
        ActionDefaultFallback().run(
            CollectingOutputChannel(),
            TemplatedNaturalLanguageGenerator(domain.responses),
            tracker,
            domain,
        )
    )
    said = [event.text for event in events if isinstance(event, BotUttered)]
    assert said == ["Jag förstod inte riktigt. Kan du skriva det på ett annat sätt?"]
    # The message is taken back, so an open form still waits for its answer.
    assert isinstance(events[-1], UserUtteranceReverted)
