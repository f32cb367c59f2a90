"""The project's tracker store writes no visitor's personal data, and forgets on request."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.domain.consent import FORGET_CONVERSATION_SLOT
from bot.nlp.tracker_store import RedactingSQLTrackerStore
from bot.runtime.settings import PROJECT_ROOT

ADDRESS = "anna.öberg@exempel.se"
PERSONAL = [ADDRESS, "öberg", "19850709-1234", "070-123 45 67", "anna@gmail,com"]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def store(domain, db):
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    yield store
    store.engine.dispose()


def rows(db: Path, sender: str = "visitor") -> str:
    with sqlite3.connect(db) as connection:
        found = connection.execute(
            "SELECT type_name, intent_name, action_name, data FROM events WHERE sender_id = ?",
            (sender,),
        ).fetchall()
    return repr(found) + "".join(str(row) for row in found)


def visitor_turn(domain: Domain, sender: str = "visitor") -> DialogueStateTracker:
    message = (
        f"min adress är {ADDRESS}, pnr 19850709-1234, tel 070-123 45 67 (förut anna@gmail,com)"
    )
    parse_data = {
        "text": message,
        "intent": {"name": "give_email", "confidence": 0.9},
        "entities": [{"entity": "email", "value": ADDRESS}],
    }
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered(message, parse_data["intent"], parse_data["entities"], parse_data),
            SlotSet("email_address", message),
            SlotSet("email_address", ADDRESS),
            BotUttered(
                f"Jag har sparat {ADDRESS}. Frågor? Ring 08-681 9223 eller mejla "
                "eva.carlsson@tillvaxtverket.se.",
                {"buttons": []},
            ),
            ActionExecuted("action_listen"),
        ],
        domain.slots,
    )


def test_messages_slots_and_answers_are_written_without_personal_data(store, domain, db):
    tracker = visitor_turn(domain)
    asyncio.run(store.save(tracker))
    stored = rows(db)
    for value in PERSONAL:
        assert value not in stored
    assert "[e-postadress]" in stored and "[personnummer]" in stored
    assert "[telefonnummer]" in stored
    # The agency's published contact details in an answer may stay.
    assert "08-681 9223" in stored and "eva.carlsson@tillvaxtverket.se" in stored
    # The conversation in memory, which this turn's actions saw, was not changed.
    assert tracker.get_slot("email_address") == ADDRESS
    assert ADDRESS in tracker.latest_message.text


def test_a_tracker_read_back_has_the_redacted_values_and_new_events_are_appended(store, domain, db):
    asyncio.run(store.save(visitor_turn(domain)))
    tracker = asyncio.run(store.retrieve("visitor"))
    assert tracker.get_slot("email_address") == "[e-postadress]"
    tracker.update(UserUttered("tack! ring mig på 070-765 43 21", {"name": "thank"}))
    asyncio.run(store.save(tracker))
    with sqlite3.connect(db) as connection:
        types = [t for (t,) in connection.execute("SELECT type_name FROM events ORDER BY id")]
    assert types == ["action", "user", "slot", "slot", "bot", "action", "user"]
    # A later turn's personal data is redacted as well.
    assert "070-765 43 21" not in rows(db)
    retrieved = asyncio.run(store.retrieve("visitor"))
    assert retrieved.latest_message.text == "tack! ring mig på [telefonnummer]"


class CollectingBroker(EventBroker):
    """An event broker that keeps what it is given."""

    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def test_an_event_broker_is_given_only_redacted_events(domain, db):
    broker = CollectingBroker()
    store = RedactingSQLTrackerStore(
        domain=domain, event_broker=broker, dialect="sqlite", db=str(db)
    )
    asyncio.run(store.save(visitor_turn(domain)))
    store.engine.dispose()
    published = repr(broker.published)
    assert len(broker.published) == 6
    for value in PERSONAL:
        assert value not in published
    assert "[e-postadress]" in published


def test_a_conversation_whose_visitor_asked_for_deletion_is_deleted_whole(store, domain, db):
    asyncio.run(store.save(visitor_turn(domain)))
    asyncio.run(store.save(visitor_turn(domain, sender="someone-else")))
    tracker = asyncio.run(store.retrieve("visitor"))
    tracker.update(UserUttered("radera mina uppgifter", {"name": "delete_my_data"}))
    tracker.update(SlotSet(FORGET_CONVERSATION_SLOT, True))
    asyncio.run(store.save(tracker))
    assert rows(db) == "[]"
    assert asyncio.run(store.retrieve("visitor")) is None
    assert asyncio.run(store.retrieve("someone-else")) is not None


def test_endpoints_yml_configures_this_tracker_store(domain, db):
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config = endpoints["tracker_store"] | {"db": str(db)}
    store = create_tracker_store(EndpointConfig.from_dict(config), domain)
    # Rasa falls back to an in-memory store, with only a warning, if the class cannot load.
    assert isinstance(store, RedactingSQLTrackerStore)
    store.engine.dispose()
