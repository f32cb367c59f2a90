"""Addresses kept with consent, and staff exports, deletions and purges, in real databases.

Each test runs on a SQLite file and on PostgreSQL when one runs on 127.0.0.1:5432.
Conversations are written by the project's own tracker store, as the Rasa server does.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, inspect, text

from bot.email_address import InvalidAddress
from bot.nlp.tracker_store import RedactingSQLTrackerStore
from bot.privacy import Purpose
from bot.privacy_service import PrivacyService
from bot.pseudonym import conversation_ref
from bot.settings import PROJECT_ROOT
from bot.storage.consents import ConsentRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.migrate import upgrade
from tests.conftest import POSTGRES_URL, postgres_available

KEY = "test-key"
DAY = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
TABLES = "outbox, tickets, email_consents, checklist_results, alembic_version, events"


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path):
    """(app database URL, tracker store keyword arguments as in endpoints.yml)."""
    if request.param == "sqlite":
        yield (
            f"sqlite:///{tmp_path / 'app.db'}",
            {"dialect": "sqlite", "db": str(tmp_path / "t.db")},
        )
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (the scale path is not tested)")
    engine = create_engine(POSTGRES_URL, future=True)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {TABLES}"))
    yield (
        POSTGRES_URL,
        {
            "dialect": "postgresql",
            "host": "127.0.0.1",
            "port": 5432,
            "db": "test",
            "username": "postgres",
        },
    )
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {TABLES}"))
    engine.dispose()


@pytest.fixture
def world(databases, domain):
    """The privacy service as staff have it, its clock, and the tracker store."""
    url, tracker_kwargs = databases
    upgrade(url)
    store = RedactingSQLTrackerStore(domain=domain, **tracker_kwargs)
    clock = Clock(DAY)
    service = PrivacyService(
        ConsentRepository(create_engine(url, future=True)),
        KEY,
        retention_days=90,
        clock=clock,
        conversations=ConversationRepository(store.engine),
    )
    yield service, clock, store
    store.engine.dispose()


def converse(store: RedactingSQLTrackerStore, domain: Domain, sender: str, address: str) -> None:
    """Store a conversation in which the visitor typed `address`, as the Rasa server would."""
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered(address, {"name": "give_email", "confidence": 1.0}),
            SlotSet("email_address", address),
            BotUttered("Tack! Jag har sparat din e-postadress."),
        ],
        domain.slots,
    )
    asyncio.run(store.save(tracker))


def test_migrations_create_the_consent_table_and_can_run_twice(databases):
    url, _ = databases
    upgrade(url)
    upgrade(url)
    columns = {
        c["name"] for c in inspect(create_engine(url, future=True)).get_columns("email_consents")
    }
    assert columns == {
        "id",
        "address",
        "address_key",
        "purpose",
        "policy_version",
        "consented_at",
        "conversation_ref",
        "retain_until",
    }


def test_an_address_is_kept_with_purpose_consent_time_policy_version_and_deadline(world):
    service, _, _ = world
    record_id = service.record("Anna.Berg@Exempel.SE", Purpose.REPLY, "1", "visitor-1")
    [record] = service.stored_for("visitor-1")
    assert record.id == record_id
    assert record.address == "Anna.Berg@exempel.se"
    assert record.purpose is Purpose.REPLY and record.purpose.value == "svar på fråga"
    assert record.policy_version == "1"
    assert record.consented_at == DAY
    assert record.retain_until == DAY + timedelta(days=90)
    assert record.conversation_ref == conversation_ref(KEY, "visitor-1") != "visitor-1"
    assert service.stored_for("someone-else") == []


def test_an_invalid_address_is_never_kept(world):
    service, _, _ = world
    with pytest.raises(InvalidAddress):
        service.record("anna@gmail,com", Purpose.REPLY, "1", "visitor-1")
    assert service.stored_for("visitor-1") == []


def test_forgetting_a_conversation_deletes_only_its_addresses(world):
    service, _, _ = world
    service.record("anna@exempel.se", Purpose.REPLY, "1", "visitor-1")
    service.record("anna@exempel.se", Purpose.REPLY, "1", "visitor-2")
    assert service.forget("visitor-1") == 1
    assert service.stored_for("visitor-1") == []
    assert len(service.stored_for("visitor-2")) == 1


def test_an_export_holds_every_record_and_the_redacted_conversations(world, domain):
    service, _, store = world
    service.record("anna@exempel.se", Purpose.REPLY, "1", "visitor-1")
    converse(store, domain, "visitor-1", "anna@exempel.se")
    converse(store, domain, "visitor-2", "lisa@exempel.se")
    exported = service.export("ANNA@exempel.se")
    assert [r["address"] for r in exported["records"]] == ["anna@exempel.se"]
    assert exported["records"][0]["purpose"] == "svar på fråga"
    [conversation] = exported["conversations"]
    assert conversation["conversation_ref"] == conversation_ref(KEY, "visitor-1")
    dumped = json.dumps(conversation["events"], ensure_ascii=False)
    assert "Tack! Jag har sparat din e-postadress." in dumped
    assert "[e-postadress]" in dumped and "anna@" not in dumped
    assert "lisa@" not in json.dumps(exported)


def test_deleting_an_address_deletes_its_records_and_conversations_only(world, domain):
    service, _, store = world
    service.record("anna@exempel.se", Purpose.REPLY, "1", "visitor-1")
    service.record("lisa@exempel.se", Purpose.REPLY, "1", "visitor-2")
    converse(store, domain, "visitor-1", "anna@exempel.se")
    converse(store, domain, "visitor-2", "lisa@exempel.se")
    deletion = service.delete("anna@exempel.se")
    assert (deletion.records, deletion.conversations) == (1, 1)
    assert service.export("anna@exempel.se") == {
        "address": "anna@exempel.se",
        "records": [],
        "conversations": [],
    }
    assert asyncio.run(store.retrieve("visitor-1")) is None
    assert asyncio.run(store.retrieve("visitor-2")) is not None
    assert len(service.stored_for("visitor-2")) == 1


def test_purge_removes_what_is_past_its_deadline_and_keeps_the_rest(world, domain):
    service, clock, store = world
    service.record("old@exempel.se", Purpose.REPLY, "1", "visitor-old")
    converse(store, domain, "visitor-old", "old@exempel.se")
    clock.now = DAY + timedelta(days=60)
    service.record("new@exempel.se", Purpose.REPLY, "1", "visitor-new")
    converse(store, domain, "visitor-new", "new@exempel.se")

    clock.now = DAY + timedelta(days=90)
    assert service.purge().records == 0  # the deadline itself is still inside retention
    clock.now = DAY + timedelta(days=91)
    deletion = service.purge()
    assert (deletion.records, deletion.conversations) == (1, 1)
    assert service.stored_for("visitor-old") == []
    assert asyncio.run(store.retrieve("visitor-old")) is None
    assert len(service.stored_for("visitor-new")) == 1
    assert asyncio.run(store.retrieve("visitor-new")) is not None


# The staff command line, against the same databases.


def run_cli(argv: list[str]) -> int:
    from bot.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    return exit_.value.code


@pytest.fixture
def staff(databases, domain, tmp_path, monkeypatch):
    """An endpoints file and environment as on the server; a service to fill them."""
    url, tracker_kwargs = databases
    upgrade(url)
    endpoints = tmp_path / "endpoints.yml"
    store_config = {"type": "bot.nlp.tracker_store.RedactingSQLTrackerStore"} | tracker_kwargs
    if "host" in store_config:
        store_config["url"] = store_config.pop("host")
    endpoints.write_text(yaml.safe_dump({"tracker_store": store_config}), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ASF_PSEUDONYM_KEY", KEY)
    store = RedactingSQLTrackerStore(domain=domain, **tracker_kwargs)
    service = PrivacyService(ConsentRepository(create_engine(url, future=True)), KEY, 90)
    yield service, store, ["privacy", "--endpoints", str(endpoints)]
    store.engine.dispose()


def test_staff_export_everything_stored_about_an_address_as_json(staff, domain, capsys):
    service, store, privacy = staff
    service.record("anna@exempel.se", Purpose.REPLY, "1", "visitor-1")
    converse(store, domain, "visitor-1", "anna@exempel.se")
    assert run_cli([*privacy, "export", "Anna@Exempel.se"]) == 0
    exported = json.loads(capsys.readouterr().out)
    [record] = exported["records"]
    assert record["address"] == "anna@exempel.se"
    assert record["purpose"] == "svar på fråga" and record["policy_version"] == "1"
    assert {"consented_at", "retain_until", "conversation_ref"} <= set(record)
    [conversation] = exported["conversations"]
    assert any(e.get("event") == "bot" for e in conversation["events"])


def test_staff_delete_an_address_with_its_conversation(staff, domain, capsys):
    service, store, privacy = staff
    service.record("anna@exempel.se", Purpose.REPLY, "1", "visitor-1")
    converse(store, domain, "visitor-1", "anna@exempel.se")
    assert run_cli([*privacy, "delete", "anna@exempel.se"]) == 0
    assert "Deleted 1 record(s) and 1 conversation(s)." in capsys.readouterr().out
    assert service.stored_for("visitor-1") == []
    assert asyncio.run(store.retrieve("visitor-1")) is None


def test_staff_purge_what_is_past_retention(staff, domain, capsys):
    service, store, privacy = staff
    long_ago = datetime.now(timezone.utc) - timedelta(days=91)
    service.record("old@exempel.se", Purpose.REPLY, "1", "visitor-old", consented_at=long_ago)
    service.record("new@exempel.se", Purpose.REPLY, "1", "visitor-new")
    converse(store, domain, "visitor-old", "old@exempel.se")
    assert run_cli([*privacy, "purge"]) == 0
    assert "Purged 1 record(s) past their retention deadline (90 days)" in capsys.readouterr().out
    assert service.stored_for("visitor-old") == []
    assert len(service.stored_for("visitor-new")) == 1
    assert asyncio.run(store.retrieve("visitor-old")) is None
