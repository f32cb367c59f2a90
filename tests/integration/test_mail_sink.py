"""The local SMTP sink: each staff mail becomes a file in var/mail/, named by its ticket."""

from __future__ import annotations

import logging
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from bot.mail.sink import start_sink
from bot.runtime.settings import PROJECT_ROOT
from bot.storage.tables import outbox
from tests.conftest import free_port
from tests.integration.conftest import Desk


@pytest.fixture
def sink(tmp_path):
    port = free_port()
    controller = start_sink(tmp_path / "mail", "127.0.0.1", port)
    yield port, tmp_path / "mail"
    controller.stop()


async def test_the_sink_writes_each_mail_to_a_file_named_by_its_ticket(desk: Desk, sink, caplog):
    caplog.set_level(logging.INFO, logger="bot.mail")
    port, folder = sink
    ticket = desk.ticket("Vad kostar det att söka stöd?", reply_to="besokare@example.com")
    assert await desk.worker(port=port).deliver_due() == 1
    path = folder / f"{ticket.reference}.eml"
    content = path.read_bytes()
    message = message_from_bytes(content, policy=default)
    assert message["X-ASF-Ticket"] == ticket.reference
    assert "Vad kostar det att söka stöd?" in message.get_body("plain").get_content()
    with desk.engine.connect() as connection:
        stored = connection.execute(select(outbox.c.message)).scalar_one()
    # The file is the mail itself, byte for byte as the worker sent it.
    assert content.replace(b"\r\n", b"\n") == bytes(stored).replace(b"\r\n", b"\n")
    assert str(path) in caplog.text
    assert "@" not in caplog.text.replace(str(path), "")


async def test_a_mail_sent_twice_gets_a_second_file_not_an_overwrite(desk: Desk, sink):
    port, folder = sink
    ticket = desk.ticket()
    worker = desk.worker(port=port)
    mail = desk.repository.claim(desk.clock.now, timedelta(seconds=60))
    # A crash between sending and marking sent: the same mail goes out again.
    await worker.send(mail)
    await worker.send(mail)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"{ticket.reference}-2.eml", f"{ticket.reference}.eml"]


def test_the_sink_process_runs_until_sigterm(tmp_path):
    port = free_port()
    log = tmp_path / "sink.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.mail.sink", "--port", str(port), "--dir", str(tmp_path)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the sink did not start listening")
        smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
        smtp.sendmail(
            "a@example.se", ["b@example.se"], b"Subject: [ASF-2026-000042] test\r\n\r\nhej\r\n"
        )
        smtp.quit()
        assert (tmp_path / "ASF-2026-000042.eml").exists()
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(10) == 0
        logged = log.read_text(encoding="utf-8")
        assert "ASF-2026-000042.eml" in logged
        assert "@" not in logged  # the file name only, never an address
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_weekly_digest_is_written_to_a_file_named_by_its_week(sink):
    port, folder = sink
    digest = (
        "From: asf-hjalpen@localhost\r\nTo: asf-staff@localhost\r\n"
        "Subject: ASF-hjalpen vecka 48\r\nX-ASF-Digest: digest-2026-W48\r\n\r\nVecka 48\r\n"
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("asf-hjalpen@localhost", ["asf-staff@localhost"], digest)
    assert [p.name for p in folder.iterdir()] == ["digest-2026-W48.eml"]
