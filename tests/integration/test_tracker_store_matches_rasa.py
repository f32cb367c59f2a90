"""Our tracker store reads and writes exactly what Rasa's own SQL tracker store does.

RedactingSQLTrackerStore issues Rasa's queries through SQLAlchemy Core (bot/nlp/
tracker_store.py); here Rasa's stock SQLTrackerStore, on the same database, is the
reference: the same rows for the same conversation, each store reading back what the
other wrote, sessions cut at the last SessionStarted. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.nlp.tracker_store import RedactingSQLTrackerStore
from bot.runtime.settings import PROJECT_ROOT
from tests.integration.conftest import open_tracker_store


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def stores(domain, tracker_url):
    ours = open_tracker_store(tracker_url, domain)
    assert isinstance(ours, RedactingSQLTrackerStore)
    rasa = SQLTrackerStore(domain=domain, host=tracker_url)
    yield ours, rasa
    ours.engine.dispose()
    rasa.engine.dispose()


def turn(number: int, at: float) -> list:
    """One visitor turn and the bot's answer, nothing in it to redact."""
    intent = {"name": "what_is_asf", "confidence": 0.97}
    parse_data = {"text": f"vad är ett asf {number}", "intent": intent, "entities": []}
    return [
        UserUttered(f"vad är ett asf {number}", intent, [], parse_data, timestamp=at),
        ActionExecuted("utter_what_is_asf", timestamp=at + 0.1),
        BotUttered("Ett ASF driver näringsverksamhet.", {"buttons": []}, timestamp=at + 0.2),
        ActionExecuted("action_listen", timestamp=at + 0.3),
    ]


def session(at: float) -> list:
    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at + 0.01),
        SlotSet("session_started_metadata", None, timestamp=at + 0.02),
        ActionExecuted("action_listen", timestamp=at + 0.03),
    ]


def table_rows(url: str, sender: str) -> list[tuple]:
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    text(
                        "SELECT sender_id, type_name, timestamp, intent_name, action_name, data "
                        "FROM events WHERE sender_id = :sender ORDER BY id"
                    ),
                    {"sender": sender},
                )
            ]
    finally:
        engine.dispose()


def save_turn_by_turn(store, domain: Domain, sender: str, turns: list[list]) -> None:
    """Save as the Rasa server does: retrieve, add the turn's events, save."""
    for events in turns:
        tracker = asyncio.run(store.retrieve(sender))
        if tracker is None:
            tracker = DialogueStateTracker.from_events(sender, [], domain.slots)
        for event in events:
            tracker.update(event)
        asyncio.run(store.save(tracker))


def conversation() -> list[list]:
    return [session(100.0), turn(1, 101.0), turn(2, 102.0), session(200.0), turn(3, 201.0)]


def test_both_stores_write_the_same_rows(stores, domain, tracker_url):
    ours, rasa = stores
    save_turn_by_turn(ours, domain, "ours", conversation())
    save_turn_by_turn(rasa, domain, "rasa", conversation())
    written_by_us = [row[1:] for row in table_rows(tracker_url, "ours")]
    written_by_rasa = [row[1:] for row in table_rows(tracker_url, "rasa")]
    assert len(written_by_us) == 20
    assert written_by_us == written_by_rasa


def test_each_store_reads_back_what_the_other_wrote(stores, domain):
    ours, rasa = stores
    save_turn_by_turn(ours, domain, "ours", conversation())
    save_turn_by_turn(rasa, domain, "rasa", conversation())
    for sender in ("ours", "rasa"):
        for latest, full in (
            (ours.retrieve(sender), ours.retrieve_full_tracker(sender)),
            (rasa.retrieve(sender), rasa.retrieve_full_tracker(sender)),
        ):
            latest, full = asyncio.run(latest), asyncio.run(full)
            # The latest session starts at its SessionStarted's timestamp; the full
            # tracker has both sessions.
            assert len(full.events) == 20
            assert [e.as_dict() for e in latest.events] == [
                e.as_dict() for e in full.events if e.timestamp >= 200.01
            ]
            assert latest.latest_message.text == "vad är ett asf 3"
    assert (
        asyncio.run(ours.retrieve("rasa")).current_state()
        == asyncio.run(rasa.retrieve("rasa")).current_state()
    )


def test_a_save_writes_only_the_events_not_stored_yet(stores, domain, tracker_url):
    ours, rasa = stores
    save_turn_by_turn(rasa, domain, "visitor", conversation()[:2])
    tracker = asyncio.run(ours.retrieve("visitor"))
    for event in turn(2, 102.0):
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    asyncio.run(ours.save(tracker))  # saving again adds nothing
    rows = table_rows(tracker_url, "visitor")
    assert len(rows) == 12
    texts = [json.loads(row[5])["text"] for row in rows if row[1] == "user"]
    assert texts == ["vad är ett asf 1", "vad är ett asf 2"]


def test_an_unknown_conversation_is_none(stores):
    ours, _ = stores
    assert asyncio.run(ours.retrieve("nobody")) is None
    assert asyncio.run(ours.retrieve_full_tracker("nobody")) is None
