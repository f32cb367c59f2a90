"""The mail worker against a real SMTP server: retries, restarts, failures, exactly once."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, event, inspect, select

from bot.storage.migrate import upgrade
from bot.storage.tables import outbox, tickets
from bot.storage.tickets import FAILED, PENDING, SENDING, SENT, OutgoingMail, TicketRepository
from tests.conftest import free_port
from tests.integration.conftest import STAFF, Desk
from tests.integration.smtp import SmtpTestServer
from tests.integration.workers import wait_for, worker_process


def state(desk: Desk, reference: str):
    [row] = [s for s in desk.repository.statuses() if s.reference == reference]
    return row


async def test_a_ticket_waits_while_the_server_is_down_and_is_delivered_once_it_is_up(desk):
    down = SmtpTestServer(free_port())  # nothing listens on this port yet
    worker = desk.worker(port=down.port)
    ticket = desk.ticket()

    assert await worker.deliver_due() == 1
    first = state(desk, ticket.reference)
    assert (first.status, first.attempts) == (PENDING, 1)
    assert first.next_attempt_at == desk.clock.now + timedelta(seconds=30)
    assert "Connect" in first.last_error or "connect" in first.last_error

    desk.clock.advance(29)
    assert await worker.deliver_due() == 0  # not due yet
    desk.clock.advance(1)
    assert await worker.deliver_due() == 1
    second = state(desk, ticket.reference)
    # Exponential backoff: the wait doubles.
    assert (second.attempts, second.next_attempt_at) == (2, desk.clock.now + timedelta(seconds=60))

    down.start()
    try:
        desk.clock.advance(60)
        assert await worker.deliver_due() == 1
        desk.clock.advance(3600)
        assert await worker.deliver_due() == 0
        assert [m.message["X-ASF-Ticket"] for m in down.received] == [ticket.reference]
        assert state(desk, ticket.reference).status == SENT
    finally:
        down.stop()


async def test_a_temporary_4xx_answer_is_retried_later(desk):
    desk.smtp.handler.data_answers.append("451 4.7.1 Greylisted, please try again later")
    ticket = desk.ticket()
    worker = desk.worker()
    assert await worker.deliver_due() == 1
    row = state(desk, ticket.reference)
    assert (row.status, row.attempts) == (PENDING, 1)
    assert row.last_error.startswith("451")
    assert desk.smtp.received == []
    desk.clock.advance(30)
    assert await worker.deliver_due() == 1
    assert state(desk, ticket.reference).status == SENT
    assert len(desk.smtp.received) == 1


async def test_a_permanent_5xx_answer_fails_the_mail_for_good_and_staff_see_it(
    desk, database_url, monkeypatch, capsys
):
    desk.smtp.handler.rcpt_answers.append(f"550 5.1.1 <{STAFF}>: Recipient address rejected")
    ticket = desk.ticket(reply_to="besokare@example.com")
    delivered = desk.ticket()
    worker = desk.worker()
    assert await worker.deliver_due() == 2
    failed = state(desk, ticket.reference)
    assert (failed.status, failed.attempts) == (FAILED, 1)
    assert failed.last_error.startswith("recipient refused: 550")
    assert STAFF not in failed.last_error and "<address>" in failed.last_error
    desk.clock.advance(7 * 24 * 3600)
    assert await worker.deliver_due() == 0  # not retried forever
    assert state(desk, delivered.reference).status == SENT

    from bot.runtime.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(SystemExit) as exit_:
        main(["tickets", "list", "--failed"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "Tickets with failed staff mail: 1" in out
    assert ticket.reference in out and delivered.reference not in out
    assert "@" not in out  # no address, neither staff's nor the visitor's

    with pytest.raises(SystemExit) as exit_:
        main(["tickets", "retry", ticket.reference])
    assert exit_.value.code == 0
    assert state(desk, ticket.reference).status == PENDING
    with pytest.raises(SystemExit) as exit_:
        main(["tickets", "retry", "ASF-2026-999999"])
    assert exit_.value.code == 1

    assert await worker.deliver_due() == 1
    assert state(desk, ticket.reference).status == SENT
    assert sorted(m.message["X-ASF-Ticket"] for m in desk.smtp.received) == sorted(
        [ticket.reference, delivered.reference]
    )


async def test_a_worker_stopped_mid_delivery_loses_nothing(desk):
    ticket = desk.ticket()
    hold = threading.Event()
    desk.smtp.handler.hold = hold
    running = asyncio.create_task(desk.worker().deliver_due())
    assert await asyncio.to_thread(desk.smtp.handler.holding.wait, 10)
    running.cancel()  # the worker stops while the server has the mail in hand
    with pytest.raises(asyncio.CancelledError):
        await running
    desk.smtp.handler.hold = None
    hold.set()
    assert state(desk, ticket.reference).status == SENDING

    restarted = desk.worker()
    assert await restarted.deliver_due() == 0  # the claim still holds
    desk.clock.advance(desk.policy.lease)
    assert await restarted.deliver_due() == 1  # the lease ran out: taken over
    assert state(desk, ticket.reference).status == SENT
    [mail] = desk.smtp.received
    assert mail.message["X-ASF-Ticket"] == ticket.reference


async def test_two_workers_deliver_each_ticket_once(desk):
    references = {desk.ticket(f"Fråga nummer {n}").reference for n in range(6)}
    tried = await asyncio.gather(desk.worker().deliver_due(), desk.worker().deliver_due())
    assert sum(tried) == 6
    got = [m.message["X-ASF-Ticket"] for m in desk.smtp.received]
    assert sorted(got) == sorted(references)


async def test_the_worker_logs_references_never_addresses_or_text(desk, caplog):
    caplog.set_level(logging.INFO, logger="bot.mail")
    ticket = desk.ticket("Hemlig fråga om min ekonomi", reply_to="besokare@example.com")
    desk.smtp.handler.data_answers.append("452 4.3.1 Insufficient storage for <x@example.se>")
    worker = desk.worker()
    await worker.deliver_due()
    desk.clock.advance(30)
    await worker.deliver_due()
    logged = caplog.text
    assert ticket.reference in logged
    assert "@" not in logged and "Hemlig" not in logged


def test_the_ticket_and_its_mail_are_written_in_one_transaction(desk):
    def refuse_outbox(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            raise RuntimeError("the outbox insert failed")

    event.listen(desk.engine, "before_cursor_execute", refuse_outbox)
    try:
        with pytest.raises(Exception, match="the outbox insert failed"):
            desk.ticket()
    finally:
        event.remove(desk.engine, "before_cursor_execute", refuse_outbox)
    with desk.engine.connect() as connection:
        assert connection.execute(select(tickets)).all() == []
        assert connection.execute(select(outbox)).all() == []
    ticket = desk.ticket()
    assert [s.reference for s in desk.repository.statuses()] == [ticket.reference]


def test_migrations_create_tickets_and_outbox_and_can_run_twice(database_url):
    upgrade(database_url)
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    names = set(inspect(engine).get_table_names())
    assert {"tickets", "outbox", "checklist_results"} <= names
    columns = {c["name"] for c in inspect(engine).get_columns("outbox")}
    assert {"status", "attempts", "next_attempt_at", "last_error", "message_id"} <= columns
    engine.dispose()


def test_the_worker_process_survives_restarts_and_delivers_once_the_server_is_up(
    desk, database_url, tmp_path
):
    if database_url.startswith("postgresql"):
        pytest.skip("one database is enough for the process test")
    ticket = desk.ticket(now=datetime.now(timezone.utc))
    server = SmtpTestServer(free_port())
    log = tmp_path / "worker.log"
    first = worker_process(database_url, server.port, log)
    try:
        assert wait_for(lambda: state(desk, ticket.reference).attempts >= 2)
        os.killpg(first.pid, signal.SIGKILL)  # a crash, not a clean stop
        first.wait(10)
        assert state(desk, ticket.reference).status in (PENDING, SENDING)
        server.start()
        second = worker_process(database_url, server.port, log)
        try:
            assert wait_for(lambda: state(desk, ticket.reference).status == SENT)
            time.sleep(0.5)
            assert [m.message["X-ASF-Ticket"] for m in server.received] == [ticket.reference]
            os.killpg(second.pid, signal.SIGTERM)
            assert second.wait(10) == 0
            logged = log.read_text(encoding="utf-8")
            assert f"Mail for {ticket.reference} sent" in logged
            assert "@" not in logged
        finally:
            if second.poll() is None:
                os.killpg(second.pid, signal.SIGKILL)
                second.wait()
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        server.stop()


# Several mail workers on one PostgreSQL outbox (several machines).


def only_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several mail workers share an outbox on PostgreSQL; SQLite is one machine's")


def test_concurrent_claims_never_return_the_same_mail(desk, database_url):
    only_postgresql(database_url)
    references = {desk.ticket(f"Fråga {n}", conversation_id=f"v-{n}").reference for n in range(30)}
    start = threading.Barrier(2, timeout=10)
    claimed: list[list[str]] = [[], []]

    def claim_all(got: list[str]) -> None:
        # A worker of its own: its own engine and connections.
        engine = create_engine(database_url, future=True)
        repository = TicketRepository(engine)
        start.wait()
        while (mail := repository.claim(desk.clock(), timedelta(minutes=5))) is not None:
            got.append(mail.reference)
        engine.dispose()

    threads = [threading.Thread(target=claim_all, args=(got,)) for got in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    together = claimed[0] + claimed[1]
    assert len(together) == len(set(together)) == 30
    assert set(together) == references


def test_a_worker_takes_the_next_mail_instead_of_waiting_for_a_row_another_holds(
    desk, database_url
):
    only_postgresql(database_url)
    held = desk.ticket("Första frågan")
    free = desk.ticket("Andra frågan")
    other_worker = create_engine(database_url, future=True)
    result: list[OutgoingMail | None] = []
    with other_worker.connect() as connection:
        transaction = connection.begin()
        # Another worker is in the middle of claiming the first mail.
        connection.execute(
            select(outbox.c.id)
            .join(tickets, tickets.c.id == outbox.c.ticket_id)
            .where(tickets.c.reference == held.reference)
            .with_for_update(of=outbox)
        ).one()
        claiming = threading.Thread(
            target=lambda: result.append(desk.repository.claim(desk.clock(), timedelta(minutes=5)))
        )
        claiming.start()
        claiming.join(5)
        waited = claiming.is_alive()
        transaction.rollback()
    claiming.join(30)
    other_worker.dispose()
    assert not waited, "the claim waited for a row another worker held"
    assert [mail.reference for mail in result] == [free.reference]
    # Once the other worker lets go, the first mail is there to take.
    assert desk.repository.claim(desk.clock(), timedelta(minutes=5)).reference == held.reference


SENT_LINE = re.compile(r"Mail for (ASF-\d{4}-\d{6}) sent")


def test_two_worker_processes_deliver_each_ticket_once_when_the_server_comes_up(
    desk, database_url, tmp_path
):
    only_postgresql(database_url)
    now = datetime.now(timezone.utc)
    references = {
        desk.ticket(f"Fråga nummer {n}", conversation_id=f"v-{n}", now=now).reference
        for n in range(10)
    }
    server = SmtpTestServer(free_port())  # down: nothing listens on its port yet
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    # Retries a second apart at most; a lease longer than any delivery here, so that a
    # duplicate can only come from two workers taking the same mail.
    settings = {"MAIL_RETRY_MAX_SECONDS": "1", "MAIL_LEASE_SECONDS": "60"}
    workers = [worker_process(database_url, server.port, log, settings) for log in logs]
    try:
        assert wait_for(lambda: all(s.attempts >= 2 for s in desk.repository.statuses()), 30)
        assert {s.status for s in desk.repository.statuses()} <= {PENDING, SENDING}
        assert server.received == []
        server.start()
        assert wait_for(lambda: all(s.status == SENT for s in desk.repository.statuses()))
        time.sleep(1)  # time for a second copy to arrive, if one were sent
        received = [m.message for m in server.received]
        assert sorted(m["X-ASF-Ticket"] for m in received) == sorted(references)
        with desk.engine.connect() as connection:
            stored_ids = set(connection.execute(select(outbox.c.message_id)).scalars())
        assert sorted(m["Message-ID"] for m in received) == sorted(stored_ids)
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
            assert worker.wait(10) == 0
        logged = [log.read_text(encoding="utf-8") for log in logs]
        sent_by = [set(SENT_LINE.findall(text)) for text in logged]
        assert sent_by[0] | sent_by[1] == references
        assert not sent_by[0] & sent_by[1]
        assert "@" not in "".join(logged)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        server.stop()
