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
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import Engine, make_url

from bot.domain.consent import Purpose
from bot.domain.email_address import InvalidAddress
from bot.domain.pseudonym import conversation_ref
from bot.nlp.tracker_store import RedactingSQLTrackerStore
from bot.runtime.settings import PROJECT_ROOT
from bot.services.privacy import PrivacyService
from bot.services.tickets import TicketService
from bot.storage.consents import ConsentRepository
from bot.storage.conversations import ConversationRepository, tracker_store_endpoint
from bot.storage.migrate import upgrade
from bot.storage.pending_questions import PendingQuestionRepository
from bot.storage.tables import outbox, tickets
from bot.storage.tickets import TicketRepository
from tests.integration.conftest import open_tracker_store

KEY = "test-key"
DAY = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def app_engine(database_url):
    """The migrated app database."""
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    yield engine
    engine.dispose()


@pytest.fixture
def world(tracker_url, domain, app_engine):
    """The privacy service as staff have it, its clock, and the tracker store."""
    store = open_tracker_store(tracker_url, domain)
    clock = Clock(DAY)
    engine = app_engine
    service = PrivacyService(
        ConsentRepository(engine),
        PendingQuestionRepository(engine),
        TicketRepository(engine),
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


def test_migrations_create_the_consent_table_and_can_run_twice(database_url):
    upgrade(database_url)
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    columns = {c["name"] for c in inspect(engine).get_columns("email_consents")}
    engine.dispose()
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
    assert service.forget("visitor-1").records == 1
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
        "tickets": [],
        "summary_mails": [],
        "pending_questions": [],
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
    from bot.runtime.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    return exit_.value.code


@pytest.fixture(params=["endpoints file", "TRACKER_STORE_URL"])
def staff(request, database_url, tracker_url, domain, tmp_path, monkeypatch):
    """The environment as on the server, the tracker store named by an endpoints file
    (as `asf-bot run` writes it) or by TRACKER_STORE_URL; a service to fill them."""
    upgrade(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ASF_PSEUDONYM_KEY", KEY)
    privacy = ["privacy"]
    if request.param == "TRACKER_STORE_URL":
        monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)
    else:
        endpoints = tmp_path / "endpoints.yml"
        store_config = tracker_store_endpoint(tracker_url)
        endpoints.write_text(yaml.safe_dump({"tracker_store": store_config}), encoding="utf-8")
        privacy += ["--endpoints", str(endpoints)]
    store = open_tracker_store(tracker_url, domain)
    engine = create_engine(database_url, future=True)
    service = PrivacyService(
        ConsentRepository(engine),
        PendingQuestionRepository(engine),
        TicketRepository(engine),
        KEY,
        90,
    )
    yield service, store, privacy
    store.engine.dispose()
    engine.dispose()


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


def test_staff_find_conversations_in_the_schema_rasa_was_told_to_use(
    database_url, domain, monkeypatch, capsys
):
    if not database_url.startswith("postgresql"):
        pytest.skip("POSTGRESQL_SCHEMA is Rasa's PostgreSQL setting only")
    # The operator's way: a plain URL, and Rasa's own variable naming the schema.
    schema = make_url(database_url).query["options"].removeprefix("-csearch_path=")
    plain = database_url.split("?")[0]
    upgrade(database_url)
    for name, value in {
        "DATABASE_URL": database_url,
        "ASF_PSEUDONYM_KEY": KEY,
        "TRACKER_STORE_URL": plain,
        "POSTGRESQL_SCHEMA": schema,
    }.items():
        monkeypatch.setenv(name, value)
    store = open_tracker_store(plain, domain)
    engine = create_engine(database_url, future=True)
    service = PrivacyService(
        ConsentRepository(engine),
        PendingQuestionRepository(engine),
        TicketRepository(engine),
        KEY,
        90,
    )
    try:
        service.record("anna@exempel.se", Purpose.REPLY, "1", "visitor-1")
        converse(store, domain, "visitor-1", "anna@exempel.se")
        assert inspect(engine).has_table("events", schema=schema)
        assert run_cli(["privacy", "delete", "anna@exempel.se"]) == 0
        assert "Deleted 1 record(s) and 1 conversation(s)." in capsys.readouterr().out
        assert asyncio.run(store.retrieve("visitor-1")) is None
    finally:
        store.engine.dispose()
        engine.dispose()


# Questions handed to staff: deletion reaches the tickets, their mail and pending questions.


def staff_desk(engine: Engine, clock: Clock) -> tuple[TicketService, PendingQuestionRepository]:
    """The ticket service and pending questions on the app database."""
    tickets = TicketService(
        TicketRepository(engine), KEY, "bot@exempel.se", "staff@exempel.se", clock=clock
    )
    return tickets, PendingQuestionRepository(engine)


def mail_of(engine: Engine, reference: str) -> tuple[str | None, str, bytes]:
    """(reply_to, mail status, stored mail) of one ticket, read from the database."""
    query = (
        select(tickets.c.reply_to, outbox.c.status, outbox.c.message)
        .join(outbox, outbox.c.ticket_id == tickets.c.id)
        .where(tickets.c.reference == reference)
    )
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return row.reply_to, row.status, bytes(row.message)


def mark_sent(engine: Engine, clock: Clock) -> None:
    repository = TicketRepository(engine)
    mail = repository.claim(clock(), timedelta(minutes=5))
    assert repository.mark_sent(mail, clock())


def test_forgetting_a_conversation_takes_its_address_out_of_tickets_and_unsent_mail(
    world, app_engine
):
    service, clock, _ = world
    tickets_, questions = staff_desk(app_engine, clock)
    service.record("anna@exempel.se", Purpose.ESCALATION, "1", "visitor-1")
    mine = tickets_.create_ticket("Min fråga", [], "anna@exempel.se", "visitor-1")
    other = tickets_.create_ticket("Annans fråga", [], "lisa@exempel.se", "visitor-2")
    questions.put(conversation_ref(KEY, "visitor-1"), "Ring 070-123 45 67", clock())

    deletion = service.forget("visitor-1")
    assert (deletion.records, deletion.pending_questions) == (1, 1)
    assert (deletion.tickets.unsent, deletion.tickets.sent) == (1, 0)
    reply_to, status, message = mail_of(app_engine, mine.reference)
    assert (reply_to, status) == (None, "pending")
    assert b"anna@" not in message and b"Reply-To" not in message
    assert b"Min fr" in message  # staff still get the question
    assert mail_of(app_engine, other.reference)[0] == "lisa@exempel.se"
    assert service.kept_for("visitor-1").tickets == []
    assert service.kept_for("visitor-1").question is None


def test_forgetting_after_the_mail_was_sent_says_so_and_strips_the_stored_copy(world, app_engine):
    service, clock, _ = world
    tickets_, _ = staff_desk(app_engine, clock)
    ticket = tickets_.create_ticket("Min fråga", [], "anna@exempel.se", "visitor-1")
    mark_sent(app_engine, clock)
    deletion = service.forget("visitor-1")
    assert (deletion.tickets.unsent, deletion.tickets.sent) == (0, 1)
    reply_to, status, message = mail_of(app_engine, ticket.reference)
    assert (reply_to, status) == (None, "sent")
    assert b"anna@" not in message


def test_what_is_kept_lists_tickets_with_an_address_and_a_question_not_yet_sent(world, app_engine):
    service, clock, _ = world
    tickets_, questions = staff_desk(app_engine, clock)
    tickets_.create_ticket("Utan adress", [], None, "visitor-1")
    with_address = tickets_.create_ticket("Med adress", [], "anna@exempel.se", "visitor-1")
    questions.put(conversation_ref(KEY, "visitor-1"), "Nästa fråga", clock())
    kept = service.kept_for("visitor-1")
    assert [t.reference for t in kept.tickets] == [with_address.reference]
    assert kept.tickets[0].reply_to == "anna@exempel.se"
    assert kept.question.question == "Nästa fråga"
    assert service.kept_for("visitor-2") == type(kept)([], [], None)


def test_staff_export_lists_tickets_with_the_address_and_pending_questions(
    world, domain, app_engine
):
    service, clock, store = world
    tickets_, questions = staff_desk(app_engine, clock)
    service.record("anna@exempel.se", Purpose.ESCALATION, "1", "visitor-1")
    ticket = tickets_.create_ticket("Min fråga", [], "anna@exempel.se", "visitor-1")
    tickets_.create_ticket("Annans", [], "lisa@exempel.se", "visitor-2")
    questions.put(conversation_ref(KEY, "visitor-1"), "Ring 070-123 45 67", clock())
    converse(store, domain, "visitor-1", "anna@exempel.se")
    exported = service.export("Anna@Exempel.se")
    [listed] = exported["tickets"]
    assert listed["reference"] == ticket.reference
    assert (listed["reply_to"], listed["question"]) == ("anna@exempel.se", "Min fråga")
    assert listed["mail_status"] == "pending"
    [question] = exported["pending_questions"]
    assert question["question"] == "Ring 070-123 45 67"
    assert question["conversation_ref"] == conversation_ref(KEY, "visitor-1")
    assert "lisa@" not in json.dumps(exported)


def test_deleting_an_address_takes_it_out_of_every_ticket_and_pending_question(
    world, domain, app_engine
):
    service, clock, store = world
    tickets_, questions = staff_desk(app_engine, clock)
    service.record("anna@exempel.se", Purpose.ESCALATION, "1", "visitor-1")
    first = tickets_.create_ticket("Första", [], "anna@exempel.se", "visitor-1")
    mark_sent(app_engine, clock)
    # The same address in another conversation whose consent record is already gone.
    second = tickets_.create_ticket("Andra", [], "ANNA@exempel.se", "visitor-3")
    other = tickets_.create_ticket("Annans", [], "lisa@exempel.se", "visitor-2")
    questions.put(conversation_ref(KEY, "visitor-1"), "Tredje", clock())
    converse(store, domain, "visitor-1", "anna@exempel.se")

    deletion = service.delete("anna@exempel.se")
    assert (deletion.records, deletion.conversations, deletion.pending_questions) == (1, 1, 1)
    assert (deletion.tickets.unsent, deletion.tickets.sent) == (1, 1)
    for ticket in (first, second):
        reply_to, _, message = mail_of(app_engine, ticket.reference)
        assert reply_to is None and b"anna@" not in message.lower()
    assert mail_of(app_engine, other.reference)[0] == "lisa@exempel.se"
    assert service.export("anna@exempel.se")["tickets"] == []


def test_purge_takes_addresses_out_of_tickets_past_retention(world, app_engine):
    service, clock, _ = world
    tickets_, _ = staff_desk(app_engine, clock)
    old = tickets_.create_ticket("Gammal", [], "old@exempel.se", "visitor-old")
    clock.now = DAY + timedelta(days=60)
    new = tickets_.create_ticket("Ny", [], "new@exempel.se", "visitor-new")
    clock.now = DAY + timedelta(days=90)
    assert service.purge().tickets.tickets == 0  # the deadline itself is still inside
    clock.now = DAY + timedelta(days=91)
    assert service.purge().tickets.unsent == 1
    assert mail_of(app_engine, old.reference)[0] is None
    assert b"old@" not in mail_of(app_engine, old.reference)[2]
    assert mail_of(app_engine, new.reference)[0] == "new@exempel.se"


def test_staff_delete_and_purge_report_tickets_and_questions(staff, app_engine, capsys):
    service, _, privacy = staff
    engine = app_engine
    tickets_ = TicketService(TicketRepository(engine), KEY, "bot@exempel.se", "staff@exempel.se")
    service.record("anna@exempel.se", Purpose.ESCALATION, "1", "visitor-1")
    ticket = tickets_.create_ticket("Min fråga", [], "anna@exempel.se", "visitor-1")
    long_ago = datetime.now(timezone.utc) - timedelta(hours=25)
    PendingQuestionRepository(engine).put("someone", "Övergiven fråga", long_ago)

    assert run_cli([*privacy, "export", "anna@exempel.se"]) == 0
    [listed] = json.loads(capsys.readouterr().out)["tickets"]
    assert listed["reference"] == ticket.reference
    assert run_cli([*privacy, "delete", "anna@exempel.se"]) == 0
    out = capsys.readouterr().out
    assert "Removed the reply address from 1 ticket(s): 1 whose mail will go to staff" in out
    assert run_cli([*privacy, "purge"]) == 0
    assert "Deleted 1 question(s) not handed over older than 24 hours." in capsys.readouterr().out
    assert PendingQuestionRepository(engine).for_conversation("someone") is None
