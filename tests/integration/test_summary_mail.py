"""The counselling summary mailed to the founder: through the outbox and the mail worker to
a real SMTP server, with the PDF attached; deleted with the address; the outbox migration.

Each test runs on a SQLite file and on PostgreSQL when one runs on 127.0.0.1:5432.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import pytest
from pypdf import PdfReader
from rasa.shared.core.domain import Domain
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Engine

from bot.domain.checklist import CRITERIA
from bot.domain.consent import Purpose
from bot.mail.worker import MailWorker, RetryPolicy, SmtpServer
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentRepository
from bot.services.privacy import PrivacyService
from bot.services.summary_mail import SummaryMailService
from bot.storage.checklists import ChecklistRepository
from bot.storage.consents import ConsentRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.migrate import upgrade
from bot.storage.outbox import PENDING, SENT, OutboxRepository
from bot.storage.pending_questions import PendingQuestionRepository
from bot.storage.tables import outbox
from bot.storage.tickets import TicketRepository
from tests.conftest import free_port
from tests.integration.conftest import SENDER, START, Clock, open_tracker_store
from tests.integration.smtp import SmtpTestServer

KEY = "test-key"
FOUNDER = "founder-1"
ADDRESS = "anna.berg@exempel.se"
# A meeting that went through all six criteria, with every kind of answer.
SLOTS = {f"checklist_{c}": "ja" for c in CRITERIA} | {
    "checklist_participation": "nej",
    "checklist_independence": "vet_inte",
}
CONTENT = ContentRepository(PROJECT_ROOT / "content")


@dataclass
class Counselling:
    """The founder's side of the outbox: consent, the summary mail, deletion, the worker."""

    engine: Engine
    clock: Clock
    privacy: PrivacyService
    summaries: SummaryMailService
    outbox: OutboxRepository
    smtp: SmtpTestServer

    def worker(self, port: int | None = None) -> MailWorker:
        server = SmtpServer(host="127.0.0.1", port=port or self.smtp.port, timeout=10)
        policy = RetryPolicy(first_delay=30, max_delay=600, lease=120, poll=0.05)
        return MailWorker(self.outbox, server, policy, clock=self.clock)

    def request(self, conversation_id: str = FOUNDER, address: str = ADDRESS) -> str:
        """Consent to keep `address` for the summary, and have it mailed, as the flow does."""
        record = self.privacy.record(address, Purpose.SUMMARY, "1", conversation_id)
        return self.summaries.send(conversation_id, record, SLOTS)

    def rows(self) -> list:
        with self.engine.connect() as connection:
            return connection.execute(select(outbox).order_by(outbox.c.id)).mappings().all()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def counselling(database_url, tracker_url, domain, smtp) -> Iterator[Counselling]:
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    store = open_tracker_store(tracker_url, domain)
    clock = Clock()
    mails = OutboxRepository(engine)
    privacy = PrivacyService(
        ConsentRepository(engine),
        PendingQuestionRepository(engine),
        TicketRepository(engine),
        KEY,
        retention_days=90,
        clock=clock,
        conversations=ConversationRepository(store.engine),
        outbox=mails,
        checklists=ChecklistRepository(engine),
    )
    summaries = SummaryMailService(mails, privacy, CONTENT, KEY, SENDER, clock=clock)
    yield Counselling(engine, clock, privacy, summaries, mails, smtp)
    store.engine.dispose()
    engine.dispose()


def words(text_: str) -> str:
    """`text_` with every run of whitespace as one space (a PDF breaks lines anywhere)."""
    return " ".join(text_.split())


def attachment(message: EmailMessage) -> EmailMessage:
    [pdf] = [part for part in message.iter_attachments()]
    return pdf


async def test_the_summary_reaches_the_founder_once_with_the_pdf_attached(counselling):
    reference = counselling.request()
    worker = counselling.worker()
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0
    [received] = counselling.smtp.received
    assert received.rcpt_tos == [ADDRESS]
    assert received.mail_from == "asf-hjalpen@example.se"
    message = received.message
    assert message["To"] == ADDRESS
    assert message["Subject"] == "Sammanfattning från rådgivningen med ASF-hjälpen 2026-11-28"
    assert message["X-ASF-Summary"] == reference
    [row] = counselling.rows()
    assert message["Message-ID"] == row["message_id"] == f"<{reference}@example.se>"
    assert (row["status"], row["kind"], row["reference"]) == (SENT, "summary", reference)

    body = message.get_body(("plain",)).get_content()
    assert "sammanfattningen från rådgivningen den 2026-11-28" in words(body)
    assert "ASF-hjälpen är Tillväxtverkets chattbot" in body
    assert "för att du bad om det och lämnade din e-postadress" in words(body)
    assert "sammanfattning-2026-11-28.pdf" in message.get_body(("html",)).get_content()

    pdf = attachment(message)
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "sammanfattning-2026-11-28.pdf"
    reader = PdfReader(io.BytesIO(pdf.get_content()))
    shown = words(" ".join(page.extract_text() for page in reader.pages))
    checklist = CONTENT.checklist()
    for criterion in CRITERIA:
        assert words(checklist.labels[criterion]) in shown, criterion
    # A no among the answers: not every condition is met, as the page would say.
    assert words(checklist.verdicts["nagot_inte_uppfyllt"]) in shown
    assert words(checklist.disclaimer) in shown
    assert {"å", "ä", "ö"} <= set(shown)


async def test_a_summary_mail_waits_out_an_smtp_outage_and_is_delivered_once(counselling):
    down = SmtpTestServer(free_port())  # nothing listens here yet
    worker = counselling.worker(port=down.port)
    reference = counselling.request()
    assert await worker.deliver_due() == 1
    [row] = counselling.rows()
    assert (row["status"], row["attempts"]) == (PENDING, 1)
    down.start()
    try:
        counselling.clock.advance(30)
        assert await worker.deliver_due() == 1
        counselling.clock.advance(3600)
        assert await worker.deliver_due() == 0
        assert [m.message["X-ASF-Summary"] for m in down.received] == [reference]
    finally:
        down.stop()


async def test_forgetting_the_conversation_deletes_its_summary_mail_and_it_is_never_sent(
    counselling,
):
    counselling.request()
    counselling.request("someone-else", "lisa@exempel.se")
    deletion = counselling.privacy.forget(FOUNDER)
    assert (deletion.records, deletion.summaries.unsent, deletion.summaries.sent) == (1, 1, 0)
    assert await counselling.worker().deliver_due() == 1
    assert [m.rcpt_tos for m in counselling.smtp.received] == [["lisa@exempel.se"]]
    assert [row["mail_to"] for row in counselling.rows()] == ["lisa@exempel.se"]


async def test_forgetting_after_the_mail_was_sent_deletes_the_stored_copy(counselling):
    counselling.request()
    assert await counselling.worker().deliver_due() == 1
    deletion = counselling.privacy.forget(FOUNDER)
    assert (deletion.summaries.unsent, deletion.summaries.sent) == (0, 1)
    assert counselling.rows() == []
    assert counselling.privacy.stored_for(FOUNDER) == []


async def test_staff_delete_the_address_with_its_summary_mails_whatever_the_case(counselling):
    counselling.request()
    assert await counselling.worker().deliver_due() == 1
    counselling.request("founder-2")
    exported = counselling.privacy.export("Anna.Berg@Exempel.se")
    assert [m["status"] for m in exported["summary_mails"]] == [SENT, PENDING]
    assert {m["mail_to"] for m in exported["summary_mails"]} == {ADDRESS}
    assert {r["purpose"] for r in exported["records"]} == {"sammanfattning från rådgivning"}

    deletion = counselling.privacy.delete("ANNA.BERG@exempel.se")
    assert (deletion.records, deletion.summaries.sent, deletion.summaries.unsent) == (2, 1, 1)
    assert counselling.rows() == []
    assert await counselling.worker().deliver_due() == 0
    assert len(counselling.smtp.received) == 1
    assert counselling.privacy.export(ADDRESS)["summary_mails"] == []


def test_purge_deletes_summary_mails_past_retention_with_their_consent(counselling):
    old = counselling.request("founder-old", "old@exempel.se")
    counselling.clock.advance(timedelta(days=60).total_seconds())
    new = counselling.request("founder-new", "new@exempel.se")
    counselling.clock.advance(timedelta(days=31).total_seconds())
    deletion = counselling.privacy.purge()
    assert (deletion.records, deletion.summaries.mails) == (1, 1)
    assert [row["reference"] for row in counselling.rows()] == [new]
    assert old != new
    assert counselling.privacy.stored_for("founder-old") == []
    assert len(counselling.privacy.stored_for("founder-new")) == 1


def test_a_failed_pdf_keeps_neither_mail_nor_address(counselling, monkeypatch):
    import bot.services.summary_mail as summary_mail

    def broken(summary):
        raise OSError("no fonts")

    monkeypatch.setattr(summary_mail, "render_summary_pdf", broken)
    with pytest.raises(OSError):
        counselling.request()
    assert counselling.rows() == []
    assert counselling.privacy.stored_for(FOUNDER) == []


def test_no_summary_goes_to_an_address_kept_for_another_purpose(counselling):
    from bot.domain.summary_mail import SummaryMailError

    record = counselling.privacy.record(ADDRESS, Purpose.ESCALATION, "1", FOUNDER)
    with pytest.raises(SummaryMailError):
        counselling.summaries.send(FOUNDER, record, SLOTS)
    with pytest.raises(SummaryMailError):
        counselling.summaries.send("someone-else", record, SLOTS)
    assert counselling.rows() == []


# Migration 0005 on a database that already holds tickets and their mail.


async def test_the_outbox_migration_keeps_the_mail_of_existing_tickets_deliverable(
    database_url, smtp
):
    upgrade(database_url, "0004")
    engine = create_engine(database_url, future=True)
    try:
        mail = EmailMessage()
        mail["Subject"], mail["Message-ID"] = "[ASF-2026-000001] Fråga", "<ASF-2026-000001@x.se>"
        mail["From"], mail["To"] = "bot@exempel.se", "staff@exempel.se"
        mail.set_content("Hur startar vi ett ASF?")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tickets (reference, created_at, conversation_ref, question) "
                    "VALUES ('ASF-2026-000001', :at, 'ref-1', 'Hur startar vi ett ASF?')"
                ),
                {"at": START},
            )
            connection.execute(
                text(
                    "INSERT INTO outbox (ticket_id, message_id, mail_from, mail_to, message, "
                    "status, attempts, next_attempt_at, created_at) VALUES (1, "
                    "'<ASF-2026-000001@x.se>', 'bot@exempel.se', 'staff@exempel.se', :m, "
                    "'pending', 0, :at, :at)"
                ),
                {"m": mail.as_bytes(), "at": START},
            )
            connection.execute(
                text(
                    "INSERT INTO checklist_results (conversation_ref, completed_at, business, "
                    "purpose, participation, reinvestment, independence, public_services, "
                    "verdict) VALUES ('ref-1', :at, 'ja', 'ja', 'ja', 'ja', 'ja', 'ja', "
                    "'alla_uppfyllda')"
                ),
                {"at": START},
            )

        upgrade(database_url)

        columns = {c["name"]: c for c in inspect(engine).get_columns("outbox")}
        assert not columns["reference"]["nullable"] and columns["ticket_id"]["nullable"]
        with engine.connect() as connection:
            [row] = connection.execute(select(outbox)).mappings().all()
        assert (row["reference"], row["kind"], row["conversation_ref"]) == (
            "ASF-2026-000001",
            "ticket",
            "ref-1",
        )
        repository = TicketRepository(engine)
        [status] = repository.statuses()
        assert (status.reference, status.status) == ("ASF-2026-000001", PENDING)
        server = SmtpServer(host="127.0.0.1", port=smtp.port, timeout=10)
        worker = MailWorker(repository, server, clock=Clock(START))
        assert await worker.deliver_due() == 1
        assert [m.message["Message-ID"] for m in smtp.received] == ["<ASF-2026-000001@x.se>"]
        assert repository.statuses()[0].status == SENT
        assert ChecklistRepository(engine).count() == 1
    finally:
        engine.dispose()


def test_staff_commands_report_the_summary_mails_they_deleted(
    counselling, database_url, tracker_url, monkeypatch, capsys
):
    from bot.runtime.cli import main

    counselling.request()
    for name, value in {
        "DATABASE_URL": database_url,
        "ASF_PSEUDONYM_KEY": KEY,
        "TRACKER_STORE_URL": tracker_url,
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_:
        main(["privacy", "delete", ADDRESS])
    assert exit_.value.code == 0
    assert (
        "Deleted 1 counselling summary mail(s): 1 not sent (they will not be), "
        "0 already sent (only the stored copy is gone)." in capsys.readouterr().out
    )
    assert counselling.rows() == []
