"""The slots `language` and `reading_mode` as domain.yml fills them: from the
LanguageDetector's entity and from the choose_* intents, through Rasa's own
action_extract_slots."""

from __future__ import annotations

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.domain.variants import LANGUAGE_SLOT, READING_MODE_SLOT, Variant, variant_of
from bot.runtime.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def said(intent: str, language: str | None = None, text: str = "…") -> UserUttered:
    entities = [] if language is None else [{"entity": "language", "value": language}]
    return UserUttered(text, intent={"name": intent, "confidence": 1.0}, entities=entities)


async def slots_after(domain: Domain, *events: Event) -> dict[str, object]:
    """The two slots after each message, as Rasa's slot extraction sets them."""
    tracker = DialogueStateTracker.from_events("visitor", [], slots=domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    for event in events:
        tracker.update(event)
        if isinstance(event, UserUttered):
            for slot_event in await ActionExtractSlots(None).run(
                CollectingOutputChannel(), nlg, tracker, domain
            ):
                tracker.update(slot_event)
    return {
        LANGUAGE_SLOT: tracker.get_slot(LANGUAGE_SLOT),
        READING_MODE_SLOT: tracker.get_slot(READING_MODE_SLOT),
    }


async def test_a_conversation_starts_in_standard_swedish(domain):
    assert await slots_after(domain) == {"language": "sv", "reading_mode": "standard"}


async def test_an_english_message_switches_to_english_and_a_swedish_one_back(domain):
    assert (await slots_after(domain, said("what_is_asf", "en")))["language"] == "en"
    slots = await slots_after(domain, said("what_is_asf", "en"), said("conditions", "sv"))
    assert slots["language"] == "sv"


async def test_a_message_that_tells_no_language_keeps_the_language(domain):
    slots = await slots_after(domain, said("what_is_asf", "en"), said("affirm", text="ja"))
    assert slots["language"] == "en"


async def test_the_choices_set_language_and_reading_mode(domain):
    easy = await slots_after(domain, said("choose_easy_swedish"))
    assert easy == {"language": "sv", "reading_mode": "lattlast"}
    standard = await slots_after(
        domain, said("choose_easy_swedish"), said("choose_standard_swedish")
    )
    assert standard == {"language": "sv", "reading_mode": "standard"}
    english = await slots_after(domain, said("choose_easy_swedish"), said("choose_english"))
    assert variant_of(english["language"], english["reading_mode"]) is Variant.EN
    back = await slots_after(domain, said("choose_english"), said("choose_swedish"))
    assert back["language"] == "sv"


async def test_lattlast_stays_chosen_through_english_and_back(domain):
    slots = await slots_after(
        domain, said("choose_easy_swedish"), said("contact", "en"), said("legal_form", "sv")
    )
    assert variant_of(slots["language"], slots["reading_mode"]) is Variant.LATTLAST


async def test_the_chosen_intent_wins_over_the_language_it_is_written_in(domain):
    # "in swedish please" is written in English and asks for Swedish.
    slots = await slots_after(domain, said("what_is_asf", "en"), said("choose_swedish", "en"))
    assert slots["language"] == "sv"
    slots = await slots_after(domain, said("choose_english", "sv"))
    assert slots["language"] == "en"


async def test_the_language_switches_inside_a_form_too(domain):
    slots = await slots_after(
        domain,
        ActiveLoop("checklist_form"),
        SlotSet("requested_slot", "checklist_business"),
        said("choose_english"),
    )
    assert slots["language"] == "en"


async def test_a_choice_is_not_taken_as_the_question_for_staff(domain):
    tracker = DialogueStateTracker.from_events(
        "visitor",
        [
            ActiveLoop("escalation_form"),
            SlotSet("requested_slot", "escalation_question"),
            said("choose_english", "en", text="in english please"),
        ],
        slots=domain.slots,
    )
    events = await ActionExtractSlots(None).run(
        CollectingOutputChannel(),
        TemplatedNaturalLanguageGenerator(domain.responses),
        tracker,
        domain,
    )
    assert SlotSet("language", "en") in events
    assert not [e for e in events if isinstance(e, SlotSet) and e.key == "escalation_question"]
