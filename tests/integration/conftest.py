"""Fixtures of the integration tests: a migrated app database, tickets, a real SMTP server,
and Rasa's tracker store as the Rasa server opens it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from bot.mail.worker import MailWorker, RetryPolicy, SmtpServer
from bot.services.tickets import TicketService
from bot.storage.conversations import tracker_store_endpoint
from bot.storage.migrate import upgrade
from bot.storage.tickets import TicketRepository
from tests.conftest import free_port
from tests.integration.smtp import SmtpTestServer

STAFF = "asf-handlaggare@example.se"
SENDER = "ASF-hjälpen <asf-hjalpen@example.se>"
START = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Desk:
    """Everything a staff-mail test works with, on one database."""

    engine: Engine
    repository: TicketRepository
    service: TicketService
    clock: Clock
    smtp: SmtpTestServer
    policy: RetryPolicy

    def worker(self, port: int | None = None) -> MailWorker:
        server = SmtpServer(host="127.0.0.1", port=port or self.smtp.port, timeout=10)
        return MailWorker(self.repository, server, self.policy, clock=self.clock)

    def ticket(self, question: str = "Hur startar vi ett ASF?", **options):
        options.setdefault("turns", [("user", "hej"), ("bot", "Hej! Vad undrar du över?")])
        options.setdefault("reply_to", None)
        options.setdefault("conversation_id", "visitor-1")
        return self.service.create_ticket(question, **options)


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def desk(database_url, smtp) -> Iterator[Desk]:
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    repository = TicketRepository(engine)
    clock = Clock()
    service = TicketService(repository, "test-key", SENDER, STAFF, clock=clock)
    policy = RetryPolicy(first_delay=30, max_delay=600, lease=120, poll=0.05)
    yield Desk(engine, repository, service, clock, smtp, policy)
    engine.dispose()


# Rasa's tracker store, on a SQLite file and on PostgreSQL.


@pytest.fixture
def tracker_url(database_url, tmp_path) -> str:
    """The tracker store's URL: a SQLite file of its own, or the test's PostgreSQL schema."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return database_url


def open_tracker_store(
    url: str, domain: Domain, event_broker: EventBroker | None = None
) -> TrackerStore:
    """Open the tracker store at `url` as the Rasa server does, from endpoints.yml's keys."""
    endpoint = EndpointConfig.from_dict(tracker_store_endpoint(url))
    return create_tracker_store(endpoint, domain, event_broker)
