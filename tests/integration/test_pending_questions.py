"""Questions kept as written until their ticket is made, in real databases.

Each test runs on a SQLite file and on PostgreSQL when one runs on 127.0.0.1:5432.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, inspect, select

from bot.domain.pseudonym import conversation_ref
from bot.domain.ticket import TicketError
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentRepository
from bot.services.escalation import EscalationService
from bot.services.privacy import PrivacyService
from bot.services.tickets import TicketService
from bot.storage.consents import ConsentRepository
from bot.storage.migrate import upgrade
from bot.storage.pending_questions import PendingQuestionRepository
from bot.storage.tables import pending_questions, tickets
from bot.storage.tickets import TicketRepository

KEY = "test-key"
DAY = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
QUESTION = "Ring mig på 070-123 45 67 om stödet.\nVi är tre i Malmö."


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Desk:
    """The escalation and privacy services on one database, with a clock."""

    def __init__(self, url: str) -> None:
        upgrade(url)
        self.engine = create_engine(url, future=True)
        self.clock = Clock(DAY)
        self.questions = PendingQuestionRepository(self.engine)
        self.tickets = TicketRepository(self.engine)
        self.privacy = PrivacyService(
            ConsentRepository(self.engine),
            self.questions,
            self.tickets,
            KEY,
            retention_days=90,
            clock=self.clock,
            pending_question_hours=24,
        )
        self.escalation = EscalationService(
            TicketService(self.tickets, KEY, "bot@exempel.se", "staff@exempel.se", self.clock),
            self.privacy,
            ContentRepository(PROJECT_ROOT / "content"),
            self.questions,
            KEY,
            clock=self.clock,
        )

    def kept(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(pending_questions.c.question)).scalars())

    def ticket_count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(tickets)).scalar_one()


@pytest.fixture
def desk(database_url):
    desk = Desk(database_url)
    yield desk
    desk.engine.dispose()


def test_the_migration_creates_the_table_of_pending_questions(desk):
    columns = {c["name"] for c in inspect(desk.engine).get_columns("pending_questions")}
    assert columns == {"id", "conversation_ref", "question", "created_at"}


def test_a_question_is_kept_as_written_under_the_conversations_pseudonym(desk):
    desk.escalation.accept_question("visitor-1", QUESTION)
    kept = desk.questions.for_conversation(conversation_ref(KEY, "visitor-1"))
    assert kept.question == QUESTION
    assert kept.created_at == DAY
    assert desk.questions.for_conversation(conversation_ref(KEY, "visitor-2")) is None


def test_each_conversation_keeps_only_its_latest_question(desk):
    desk.escalation.accept_question("visitor-1", "första")
    desk.escalation.accept_question("visitor-1", "andra")
    desk.escalation.accept_question("visitor-2", "en annan")
    assert sorted(desk.kept()) == ["andra", "en annan"]


def test_the_ticket_is_made_from_the_kept_question_which_goes_with_it(desk):
    desk.escalation.accept_question("visitor-1", QUESTION)
    desk.escalation.accept_question("visitor-2", "en annan")
    ticket = desk.escalation.hand_over("Ring mig på [telefonnummer]", [], "visitor-1", None)
    assert ticket.question == QUESTION
    assert desk.kept() == ["en annan"]


def test_when_the_ticket_cannot_be_written_the_question_stays_kept(desk, monkeypatch):
    desk.escalation.accept_question("visitor-1", QUESTION)

    def broken(ticket, mail_from, staff_email, variant):
        raise RuntimeError("the mail could not be composed")

    monkeypatch.setattr("bot.services.tickets.compose", broken)
    with pytest.raises(RuntimeError):
        desk.escalation.hand_over("x", [], "visitor-1", None)
    # One transaction: no ticket, and the question is still there for another try.
    assert desk.ticket_count() == 0
    assert desk.kept() == [QUESTION]


def test_a_kept_question_makes_at_most_one_ticket(desk):
    desk.escalation.accept_question("visitor-1", QUESTION)
    kept = desk.questions.for_conversation(conversation_ref(KEY, "visitor-1"))
    service = TicketService(desk.tickets, KEY, "bot@exempel.se", "staff@exempel.se", desk.clock)
    service.create_ticket(QUESTION, [], None, "visitor-1", pending_question=kept.id)
    # A second hand-over that read the same row before the first one took it.
    with pytest.raises(TicketError):
        service.create_ticket(QUESTION, [], None, "visitor-1", pending_question=kept.id)
    assert desk.ticket_count() == 1


def test_stopping_deletes_the_conversations_question_only(desk):
    desk.escalation.accept_question("visitor-1", QUESTION)
    desk.escalation.accept_question("visitor-2", "en annan")
    assert desk.escalation.discard_question("visitor-1") == 1
    assert desk.escalation.discard_question("visitor-1") == 0
    assert desk.kept() == ["en annan"]


def test_purge_deletes_questions_abandoned_longer_than_the_setting(desk):
    desk.escalation.accept_question("visitor-old", "gammal")
    desk.clock.now = DAY + timedelta(hours=20)
    desk.escalation.accept_question("visitor-new", "ny")
    desk.clock.now = DAY + timedelta(hours=24)
    assert desk.privacy.purge().pending_questions == 0  # 24 hours is still inside
    desk.clock.now = DAY + timedelta(hours=25)
    assert desk.privacy.purge().pending_questions == 1
    assert desk.kept() == ["ny"]
