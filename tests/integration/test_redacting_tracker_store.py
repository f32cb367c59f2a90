"""The project's tracker store writes no visitor's personal data, and forgets on request.

Each test runs on a SQLite file and on PostgreSQL when one runs on 127.0.0.1:5432, the
store opened from the endpoint keys `asf-bot run` writes for TRACKER_STORE_URL.
"""

from __future__ import annotations

import asyncio

import pytest
import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.domain.consent import FORGET_CONVERSATION_SLOT
from bot.nlp.tracker_store import RedactingSQLTrackerStore
from bot.runtime.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_URL
from tests.integration.conftest import open_tracker_store

ADDRESS = "anna.öberg@exempel.se"
PERSONAL = [ADDRESS, "öberg", "19850709-1234", "070-123 45 67", "anna@gmail,com"]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def store(domain, tracker_url):
    store = open_tracker_store(tracker_url, domain)
    assert isinstance(store, RedactingSQLTrackerStore)
    yield store
    store.engine.dispose()


def stored_events(url: str, sender: str = "visitor") -> list[tuple]:
    """The rows of one conversation as they are in the database, in order."""
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT type_name, intent_name, action_name, data FROM events "
                    "WHERE sender_id = :sender ORDER BY id"
                ),
                {"sender": sender},
            ).all()
    finally:
        engine.dispose()


def rows(url: str, sender: str = "visitor") -> str:
    found = [tuple(row) for row in stored_events(url, sender)]
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


def test_messages_slots_and_answers_are_written_without_personal_data(store, domain, tracker_url):
    tracker = visitor_turn(domain)
    asyncio.run(store.save(tracker))
    stored = rows(tracker_url)
    for value in PERSONAL:
        assert value not in stored
    assert "[e-postadress]" in stored and "[personnummer]" in stored
    assert "[telefonnummer]" in stored
    # The agency's published contact details in an answer may stay.
    assert "08-681 9223" in stored and "eva.carlsson@tillvaxtverket.se" in stored
    # The conversation in memory, which this turn's actions saw, was not changed.
    assert tracker.get_slot("email_address") == ADDRESS
    assert ADDRESS in tracker.latest_message.text


def test_a_tracker_read_back_has_the_redacted_values_and_new_events_are_appended(
    store, domain, tracker_url
):
    asyncio.run(store.save(visitor_turn(domain)))
    tracker = asyncio.run(store.retrieve("visitor"))
    assert tracker.get_slot("email_address") == "[e-postadress]"
    tracker.update(UserUttered("tack! ring mig på 070-765 43 21", {"name": "thank"}))
    asyncio.run(store.save(tracker))
    types = [row.type_name for row in stored_events(tracker_url)]
    assert types == ["action", "user", "slot", "slot", "bot", "action", "user"]
    # A later turn's personal data is redacted as well.
    assert "070-765 43 21" not in rows(tracker_url)
    retrieved = asyncio.run(store.retrieve("visitor"))
    assert retrieved.latest_message.text == "tack! ring mig på [telefonnummer]"


class CollectingBroker(EventBroker):
    """An event broker that keeps what it is given."""

    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def test_an_event_broker_is_given_only_redacted_events(domain, tracker_url):
    broker = CollectingBroker()
    store = open_tracker_store(tracker_url, domain, broker)
    asyncio.run(store.save(visitor_turn(domain)))
    store.engine.dispose()
    published = repr(broker.published)
    assert len(broker.published) == 6
    for value in PERSONAL:
        assert value not in published
    assert "[e-postadress]" in published


def test_a_conversation_whose_visitor_asked_for_deletion_is_deleted_whole(
    store, domain, tracker_url
):
    asyncio.run(store.save(visitor_turn(domain)))
    asyncio.run(store.save(visitor_turn(domain, sender="someone-else")))
    tracker = asyncio.run(store.retrieve("visitor"))
    tracker.update(UserUttered("radera mina uppgifter", {"name": "delete_my_data"}))
    tracker.update(SlotSet(FORGET_CONVERSATION_SLOT, True))
    asyncio.run(store.save(tracker))
    assert stored_events(tracker_url) == []
    assert len(stored_events(tracker_url, "someone-else")) == 6
    assert asyncio.run(store.retrieve("visitor")) is None
    assert asyncio.run(store.retrieve("someone-else")) is not None


def test_endpoints_yml_configures_this_tracker_store(domain, tmp_path):
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config = endpoints["tracker_store"] | {"db": str(tmp_path / "tracker.db")}
    store = create_tracker_store(EndpointConfig.from_dict(config), domain)
    # Rasa falls back to an in-memory store, with only a warning, if the class cannot load.
    assert isinstance(store, RedactingSQLTrackerStore)
    store.engine.dispose()


def test_another_replica_reads_the_conversation_back_and_carries_it_on(store, domain, tracker_url):
    # Two Rasa replicas on one database: whichever takes the next message continues the
    # conversation where the other left it, each event stored once, in order.
    asyncio.run(store.save(visitor_turn(domain)))
    other = open_tracker_store(tracker_url, domain)
    try:
        tracker = asyncio.run(other.retrieve("visitor"))
        assert tracker.get_slot("email_address") == "[e-postadress]"
        tracker.update(UserUttered("vad är ett ASF?", {"name": "what_is_asf"}))
        tracker.update(ActionExecuted("utter_what_is_asf"))
        asyncio.run(other.save(tracker))
    finally:
        other.engine.dispose()
    back = asyncio.run(store.retrieve("visitor"))
    assert back.latest_message.text == "vad är ett ASF?"
    types = [row.type_name for row in stored_events(tracker_url)]
    assert types == ["action", "user", "slot", "slot", "bot", "action", "user", "action"]


@pytest.mark.parametrize("named_by", ["URL", "POSTGRESQL_SCHEMA"])
def test_on_postgresql_conversations_stay_in_the_schema_named(
    named_by, domain, database_url, monkeypatch
):
    if not database_url.startswith("postgresql"):
        pytest.skip("schemas are PostgreSQL's")
    # Deployments (and test runs) sharing one server never see each other's conversations.
    schema = make_url(database_url).query["options"].removeprefix("-csearch_path=")
    url = database_url
    if named_by == "POSTGRESQL_SCHEMA":
        url = database_url.split("?")[0]
        monkeypatch.setenv("POSTGRESQL_SCHEMA", schema)
    store = open_tracker_store(url, domain)
    try:
        asyncio.run(store.save(visitor_turn(domain)))
        assert asyncio.run(store.retrieve("visitor")) is not None
    finally:
        store.engine.dispose()
    engine = create_engine(POSTGRES_URL, future=True)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text(f"SELECT count(*) FROM {schema}.events WHERE sender_id = 'visitor'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert found == 6
