"""The weekly digest to staff, from stored conversations to the mail in a real SMTP server.

Conversations are written into a tracker store as the Rasa server writes them (the
redacting store); the digest is composed from them by the mail worker, once per week
even with two workers, and delivered after an SMTP outage.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import default
from zoneinfo import ZoneInfo

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, select

from bot.domain.digest import DigestSchedule
from bot.insight.sources import SqlSources
from bot.runtime.cli import parser
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.services.digest import DIGEST_KIND, digest_scheduler, digest_writer
from bot.storage.migrate import upgrade
from bot.storage.tables import outbox
from tests.conftest import free_port
from tests.integration.conftest import open_tracker_store
from tests.integration.smtp import SmtpTestServer
from tests.integration.workers import wait_for, worker_process

STOCKHOLM = ZoneInfo("Europe/Stockholm")
STAFF = "asf-personal@myndighet.example"
INSIGHT = "analys@myndighet.example"
# A Wednesday: the week it is due for is 23-29 November 2026 (vecka 48).
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM)
VISITOR_PHONE = "070-123 45 67"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def conversation(sender: str, at: datetime, messages: list[tuple[str, str, str]]) -> list:
    """A session that began at `at`: each message (text, intent, response) and its answer."""
    t = at.timestamp()
    events = [
        ActionExecuted("action_session_start", timestamp=t),
        SessionStarted(timestamp=t + 0.01),
        ActionExecuted("action_listen", timestamp=t + 0.02),
    ]
    for number, (text, intent, response) in enumerate(messages, start=1):
        t = at.timestamp() + 60 * number
        parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
        events += [
            UserUttered(text, parse["intent"], [], parse, timestamp=t),
            ActionExecuted(response, timestamp=t + 0.1),
            BotUttered("svar", {}, {"utter_action": response}, timestamp=t + 0.2),
            ActionExecuted("action_listen", timestamp=t + 0.3),
        ]
    return events


def store_week(tracker_url: str, domain: Domain) -> None:
    """Last week: four visitors asked what an ASF is; one wrote gibberish with a phone number."""
    store = open_tracker_store(tracker_url, domain)
    try:
        monday = datetime(2026, 11, 23, 9, 0, tzinfo=STOCKHOLM)
        for n in range(4):
            events = conversation(
                f"visitor-{n}",
                monday + timedelta(days=n),
                [("vad är ett asf", "what_is_asf", "utter_what_is_asf")],
            )
            asyncio.run(store.save(DialogueStateTracker.from_events(f"visitor-{n}", events)))
        odd = conversation(
            "visitor-odd",
            monday + timedelta(days=2, hours=3),
            [(f"blorf ring {VISITOR_PHONE}", "nlu_fallback", "action_rephrase_with_topics")],
        )
        asyncio.run(store.save(DialogueStateTracker.from_events("visitor-odd", odd)))
    finally:
        store.engine.dispose()


def settings_for(database_url: str, tracker_url: str) -> Settings:
    return Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "TRACKER_STORE_URL": tracker_url,
            "STAFF_EMAIL": STAFF,
            "INSIGHT_EMAIL": INSIGHT,
            "MAIL_FROM": "ASF-hjälpen <asf-hjalpen@myndighet.example>",
        }
    )


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=default)  # type: ignore[return-value]


def test_the_digest_holds_last_weeks_figures_beside_the_week_before_and_its_charts(
    database_url, tracker_url, domain
):
    upgrade(database_url)
    store_week(tracker_url, domain)
    settings = settings_for(database_url, tracker_url)
    sources = SqlSources.from_urls(tracker_url, database_url, settings.pseudonym_key)
    engine = create_engine(database_url, future=True)
    try:
        scheduler = digest_scheduler(engine, sources, settings)
        assert scheduler.enqueue_due(NOW) == "digest-2026-W48"
        with engine.connect() as connection:
            [row] = connection.execute(select(outbox).where(outbox.c.kind == DIGEST_KIND)).all()
    finally:
        engine.dispose()
        sources.close()
    assert (row.reference, row.mail_to, row.mail_from) == (
        "digest-2026-W48",
        INSIGHT,
        "asf-hjalpen@myndighet.example",
    )
    mail = parsed(row.message)
    assert mail["Subject"] == "ASF-hjälpen vecka 48 (23–29 november 2026): 5 samtal"
    assert mail["To"] == INSIGHT
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "vad är ett asf" not in body  # four visitors' texts are not examples
        assert VISITOR_PHONE not in body and "blorf" not in body  # one visitor: hidden
        assert "Vad är ett ASF?" in body  # the topic, by its name
        assert "vecka 47" in body.lower()
        assert "asf-bot insight report --since 2026-11-23 --until 2026-11-29" in body
    assert "- Samtal: 5 (0)" in text
    assert "< 3" in text  # the one conversation that fell back
    # Every chart is an inline PNG the HTML shows, with its text alternative.
    images = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert images
    for image in images:
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="cid:{image["Content-ID"].strip()[1:-1]}"' in html
    assert html.count(' alt="') >= len(images)


def test_the_digest_of_a_week_is_written_once_and_is_the_same_mail_whoever_writes_it(
    database_url, tracker_url, domain
):
    upgrade(database_url)
    store_week(tracker_url, domain)
    settings = settings_for(database_url, tracker_url)
    sources = SqlSources.from_urls(tracker_url, database_url, settings.pseudonym_key)
    try:
        write = digest_writer(sources, settings)
        week = DigestSchedule(0, 7, STOCKHOLM).due_week(NOW)
        first, second = write(week, NOW), write(week, NOW + timedelta(minutes=1))
        assert first.message["Message-ID"] == second.message["Message-ID"]
        assert first.reference == second.reference == "digest-2026-W48"
    finally:
        sources.close()


def test_two_workers_send_one_digest_once_the_smtp_server_is_back(
    database_url, tracker_url, tmp_path
):
    upgrade(database_url)
    # The week due now, whatever today is: the workers run on the real clock.
    week = DigestSchedule(0, 7, STOCKHOLM).due_week(datetime.now(timezone.utc))
    server = SmtpTestServer(free_port())  # down: nothing listens yet
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    # Retries a second apart at most; a lease longer than any delivery here, so that a
    # duplicate can only come from two workers writing or taking the same digest.
    settings = {
        "TRACKER_STORE_URL": tracker_url,
        "STAFF_EMAIL": STAFF,
        "MAIL_RETRY_MAX_SECONDS": "1",
        "MAIL_LEASE_SECONDS": "60",
        "INSIGHT_DIGEST": "on",
    }
    workers = [worker_process(database_url, server.port, log, settings) for log in logs]
    engine = create_engine(database_url, future=True)

    def digest_rows() -> list:
        with engine.connect() as connection:
            return connection.execute(select(outbox).where(outbox.c.kind == DIGEST_KIND)).all()

    try:
        assert wait_for(lambda: any(row.attempts >= 2 for row in digest_rows()), 30)
        assert [row.reference for row in digest_rows()] == [week.key]
        server.start()
        assert wait_for(lambda: digest_rows()[0].status == "sent")
        time.sleep(1.5)  # rounds enough for a second copy, if one were written or sent
        received = [m.message for m in server.received]
        assert [m["X-ASF-Digest"] for m in received] == [week.key]
        assert received[0]["To"] == STAFF  # no INSIGHT_EMAIL: staff's address
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
            assert worker.wait(10) == 0
        assert "@" not in "".join(log.read_text(encoding="utf-8") for log in logs)
    finally:
        engine.dispose()
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        server.stop()


def test_staff_can_ask_for_the_digest_of_any_period_at_once(
    database_url, tracker_url, domain, capsys
):
    upgrade(database_url)
    store_week(tracker_url, domain)
    args = parser().parse_args(
        ["insight", "digest", "--since", "2026-11-23", "--until", "2026-11-29"]
    )
    environment = {
        "DATABASE_URL": database_url,
        "TRACKER_STORE_URL": tracker_url,
        "STAFF_EMAIL": STAFF,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        assert args.handler(args) == 0
        assert "digest-20261123T0000-20261130T0000" in capsys.readouterr().out
        assert args.handler(args) == 1  # the same period twice: one mail
        assert "in the outbox already" in capsys.readouterr().err
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            [row] = connection.execute(select(outbox).where(outbox.c.kind == DIGEST_KIND)).all()
    finally:
        engine.dispose()
    mail = parsed(row.message)
    assert (row.status, row.mail_to) == ("pending", STAFF)
    assert mail["Subject"] == "ASF-hjälpen 23–29 november 2026: 5 samtal"
    text = mail.get_body(("plain",)).get_content()
    assert "I SIFFROR (23–29 november 2026, inom parentes 16–22 november 2026)" in text
    assert "- Samtal: 5 (0)" in text
    assert "Någon i personalen bad om det här mejlet" in text
