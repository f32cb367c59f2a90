"""Every reply of the REST channel tells the conversation's variant, read from the tracker's
slots once Rasa's prediction loop for the message is done (bot/nlp/channel.py)."""

from __future__ import annotations

import pytest
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import SlotSet
from rasa.shared.core.slots import CategoricalSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.domain.variants import LANGUAGE_SLOT, READING_MODE_SLOT
from bot.nlp import channel
from bot.nlp.channel import ConversationVariant, NamingCollector


def tracker(language: str | None = "sv", reading_mode: str | None = "standard"):
    slots = [
        CategoricalSlot(LANGUAGE_SLOT, [], values=["sv", "en"], initial_value="sv"),
        CategoricalSlot(
            READING_MODE_SLOT, [], values=["standard", "lattlast"], initial_value="standard"
        ),
    ]
    result = DialogueStateTracker("visitor", slots)
    result.update(SlotSet(LANGUAGE_SLOT, language))
    result.update(SlotSet(READING_MODE_SLOT, reading_mode))
    return result


@pytest.mark.parametrize(
    ("language", "reading_mode", "expected"),
    [
        ("sv", "standard", ("sv", "standard")),
        ("en", "standard", ("en", "standard")),
        ("sv", "lattlast", ("sv", "lattlast")),
        ("en", "lattlast", ("en", "lattlast")),
        # Unknown or unset reads as plain Swedish.
        (None, None, ("sv", "standard")),
        ("de", "large", ("sv", "standard")),
    ],
)
def test_the_variant_is_read_from_the_two_slots(language, reading_mode, expected):
    variant = ConversationVariant.of(tracker(language, reading_mode))
    assert (variant.lang, variant.reading) == expected


def test_a_tracker_without_the_slots_reads_as_swedish():
    assert ConversationVariant.of(DialogueStateTracker("visitor", [])) == ConversationVariant(
        "sv", "standard"
    )


async def test_every_collected_reply_carries_the_variant():
    collector = NamingCollector()
    await collector.send_text_message("visitor", "Hi!")
    await collector.send_response(
        "visitor", {"text": "Choose:", "buttons": [{"title": "A", "payload": "/a"}]}
    )
    assert all("lang" not in reply for reply in collector.replies())
    collector.variant = ConversationVariant("en", "standard")
    replies = collector.replies()
    assert [reply["text"] for reply in replies] == ["Hi!", "Choose:"]
    assert all((r["lang"], r["reading"]) == ("en", "standard") for r in replies)
    assert all("lang" not in message for message in collector.messages)


@pytest.fixture
def installed(monkeypatch):
    """Rasa's own prediction loop, stood in for by one that sets the slots as a
    choose_english or choose_easy_swedish turn would; the channel's hook around it."""
    turns: list[list[SlotSet]] = []

    async def prediction_loop(self, output_channel, tracker):
        for event in turns.pop(0):
            tracker.update(event)

    monkeypatch.setattr(channel, "_original_run_prediction_loop", prediction_loop)
    monkeypatch.setattr(
        MessageProcessor, "_run_prediction_loop", MessageProcessor._run_prediction_loop
    )
    channel.install()
    channel.install()  # twice, as two channels would: still one hook
    return turns


async def test_the_variant_is_the_one_after_the_prediction(installed):
    conversation = tracker()
    collector = NamingCollector()
    installed.append([SlotSet(LANGUAGE_SLOT, "en")])
    await MessageProcessor._run_prediction_loop(None, collector, conversation)
    assert collector.variant == ConversationVariant("en", "standard")

    collector = NamingCollector()
    installed.append([SlotSet(LANGUAGE_SLOT, "sv"), SlotSet(READING_MODE_SLOT, "lattlast")])
    await MessageProcessor._run_prediction_loop(None, collector, conversation)
    assert collector.variant == ConversationVariant("sv", "lattlast")


async def test_other_output_channels_are_left_alone(installed):
    other = CollectingOutputChannel()
    installed.append([SlotSet(LANGUAGE_SLOT, "en")])
    await MessageProcessor._run_prediction_loop(None, other, tracker())
    assert not hasattr(other, "variant")


def test_the_channel_installs_the_hook_when_rasa_builds_it(monkeypatch):
    monkeypatch.setattr(
        MessageProcessor, "_run_prediction_loop", MessageProcessor._run_prediction_loop
    )
    monkeypatch.setattr(
        MessageProcessor, "_run_prediction_loop", channel._original_run_prediction_loop
    )
    channel.CleanRestInput.from_credentials(None)
    assert MessageProcessor._run_prediction_loop is channel._run_prediction_loop_telling_variant
