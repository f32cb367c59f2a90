"""The weekly digest is written into the outbox once per week, however many workers look.

The digest's content has tests of its own (test_digest_mail.py); here the mail is a
plain one, so that what is tested is the schedule and the once-only write.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, event, select

from bot.domain.digest import DigestSchedule, Week
from bot.mail.worker import MailWorker, RetryPolicy, SmtpServer
from bot.services.digest import DIGEST_KIND, DigestScheduler
from bot.storage.migrate import upgrade
from bot.storage.outbox import NewMail, OutboxRepository
from bot.storage.tables import outbox

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MONDAY_7 = DigestSchedule(weekday=0, hour=7, zone=STOCKHOLM)
STAFF = "asf-personal@myndighet.example"


def plain_digest(week: Week, now: datetime) -> NewMail:
    message = EmailMessage()
    message["Subject"] = f"Veckans siffror, vecka {week.number}"
    message["From"] = "asf-hjalpen@myndighet.example"
    message["To"] = STAFF
    message["Message-ID"] = f"<{week.key}@myndighet.example>"
    message.set_content(f"Vecka {week.number}")
    return NewMail(
        reference=week.key,
        kind=DIGEST_KIND,
        conversation_ref=None,
        message=message,
        mail_from="asf-hjalpen@myndighet.example",
        mail_to=STAFF,
        created_at=now,
    )


def digests(engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(outbox.c.reference).where(outbox.c.kind == DIGEST_KIND)
            ).scalars()
        )


def test_each_week_is_written_once_from_its_hour_on(database_url):
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    try:
        scheduler = DigestScheduler(engine, MONDAY_7, plain_digest)
        monday = datetime(2026, 11, 30, 7, 0, tzinfo=STOCKHOLM)
        assert scheduler.enqueue_due(monday) == "digest-2026-W48"
        assert scheduler.enqueue_due(monday) is None
        assert scheduler.enqueue_due(datetime(2026, 12, 3, 12, 0, tzinfo=STOCKHOLM)) is None
        assert digests(engine) == ["digest-2026-W48"]
        next_monday = datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc)  # 07:00 in Stockholm
        assert scheduler.enqueue_due(next_monday) == "digest-2026-W49"
        assert sorted(digests(engine)) == ["digest-2026-W48", "digest-2026-W49"]
    finally:
        engine.dispose()


def test_two_workers_at_the_same_instant_write_one_digest(database_url):
    upgrade(database_url)
    engines = [create_engine(database_url, future=True) for _ in range(2)]
    both_checked = threading.Barrier(2)

    def slow_writer(week: Week, now: datetime) -> NewMail:
        both_checked.wait(10)  # each has seen that there is none yet
        return plain_digest(week, now)

    schedulers = [DigestScheduler(engine, MONDAY_7, slow_writer) for engine in engines]
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=STOCKHOLM)
    results: list[str | None] = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(s.enqueue_due(monday)))
        for s in schedulers
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert sorted(results, key=str) == [None, "digest-2026-W48"]
        assert digests(engines[0]) == ["digest-2026-W48"]
    finally:
        for engine in engines:
            engine.dispose()


async def test_the_worker_writes_the_due_digest_and_sends_it_once(database_url, smtp):
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    clock = lambda: datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM)  # noqa: E731
    scheduler = DigestScheduler(engine, MONDAY_7, plain_digest)
    server = SmtpServer(host="127.0.0.1", port=smtp.port, timeout=10)
    policy = RetryPolicy(first_delay=30, max_delay=600, lease=120, poll=0.05)
    workers = [
        MailWorker(OutboxRepository(engine), server, policy, clock, [scheduler.enqueue_due])
        for _ in range(2)
    ]
    stop = asyncio.Event()
    try:
        running = [asyncio.create_task(worker.run(stop)) for worker in workers]
        for _ in range(100):
            if smtp.received:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # rounds enough for a second copy, if one were made
        stop.set()
        await asyncio.gather(*running)
        assert [m.message["Subject"] for m in smtp.received] == ["Veckans siffror, vecka 48"]
    finally:
        engine.dispose()


def test_once_a_weeks_digest_is_known_written_the_outbox_is_not_read_again(database_url):
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: queries.append(args[2]))
    try:
        scheduler = DigestScheduler(engine, MONDAY_7, plain_digest)
        monday = datetime(2026, 11, 30, 7, 0, tzinfo=STOCKHOLM)
        assert scheduler.enqueue_due(monday) == "digest-2026-W48"
        queries.clear()
        for minutes in range(1, 100):
            assert scheduler.enqueue_due(monday + timedelta(minutes=minutes)) is None
        assert queries == []
        # Another scheduler (a second worker) reads the outbox once, and then no more.
        other = DigestScheduler(engine, MONDAY_7, plain_digest)
        assert other.enqueue_due(monday) is None
        assert other.enqueue_due(monday) is None
        assert len(queries) == 1
        assert digests(engine) == ["digest-2026-W48"]
    finally:
        engine.dispose()
