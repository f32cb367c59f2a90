"""A new session keeps the visitor's language and reading mode, and forgets the rest."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.actions.action import ActionSessionStart
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlp import session_start
from bot.runtime.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture(autouse=True)
def installed():
    session_start.install()
    yield
    session_start.uninstall()


def new_session(domain: Domain, *events) -> DialogueStateTracker:
    """The old session's tracker, then what Rasa's session start returns applied to it."""
    tracker = DialogueStateTracker.from_events("visitor", list(events), domain.slots)
    started = asyncio.run(
        ActionSessionStart().run(
            CollectingOutputChannel(),
            TemplatedNaturalLanguageGenerator(domain.responses),
            tracker,
            domain,
        )
    )
    assert isinstance(started[0], SessionStarted)
    assert started[-1] == ActionExecuted("action_listen")
    tracker.update_with_events(started, domain)
    return tracker


def test_an_english_lattlast_visitor_keeps_both_choices_and_nothing_else(domain):
    tracker = new_session(
        domain,
        SlotSet("language", "en"),
        SlotSet("reading_mode", "lattlast"),
        SlotSet("checklist_business", "ja"),
        SlotSet("email_consent", True),
    )

    assert tracker.get_slot("language") == "en"
    assert tracker.get_slot("reading_mode") == "lattlast"
    assert tracker.get_slot("checklist_business") is None
    assert tracker.get_slot("email_consent") is None


def test_a_swedish_visitor_starts_as_every_new_visitor_does(domain):
    tracker = new_session(domain, SlotSet("checklist_business", "ja"))

    assert tracker.get_slot("language") == "sv"
    assert tracker.get_slot("reading_mode") == "standard"
    events = list(tracker.events)
    after_start = events[max(i for i, e in enumerate(events) if isinstance(e, SessionStarted)) :]
    assert [e for e in after_start if isinstance(e, SlotSet)] == []


def test_without_the_patch_rasa_would_answer_in_swedish_again(domain):
    session_start.uninstall()
    tracker = new_session(domain, SlotSet("language", "en"))

    assert tracker.get_slot("language") == "sv"
