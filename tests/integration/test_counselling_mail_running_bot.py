""" "Skicka till mig" and "Avsluta och rensa" through the whole bot as `make run` starts it.

The counselling view's payloads go through the web app's /api/chat; the mail worker
sends the summary to a real SMTP server (aiosmtpd). Afterwards the founder's address is
in the mail and nowhere in the tracker store, and ending the session leaves nothing of
the meeting in the tracker store or the app database but the anonymous checklist row.
"""

from __future__ import annotations

import io
import secrets
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.domain.checklist import CRITERIA
from bot.domain.consent import Purpose
from bot.runtime.launcher import LaunchConfig, Supervisor
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentRepository
from bot.storage.migrate import upgrade
from tests.conftest import free_port
from tests.integration.smtp import Received, SmtpTestServer
from tests.integration.test_running_bot import chat_through_the_web_app

pytestmark = pytest.mark.model

TOKEN = "counselling-mail-token"
ADDRESS = "anna.berg@exempel.se"
CONTENT = ContentRepository(PROJECT_ROOT / "content")
PRIVACY = CONTENT.privacy()


@pytest.fixture(scope="module")
def smtp():
    server = SmtpTestServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory, smtp):
    content = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    app_db = tmp_path_factory.mktemp("db") / "app.db"
    upgrade(f"sqlite:///{app_db}")
    config = LaunchConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        mail_port=free_port(),
        model=trained_model,
        var_dir=tmp_path_factory.mktemp("var"),
        token=TOKEN,
        log_dir=tmp_path_factory.mktemp("logs"),
    )
    supervisor = Supervisor(config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASF_CONTENT_DIR", str(content))
        patch.setenv("DATABASE_URL", f"sqlite:///{app_db}")
        patch.delenv("ASF_PSEUDONYM_KEY", raising=False)
        patch.setenv("SMTP_HOST", "127.0.0.1")
        patch.setenv("SMTP_PORT", str(smtp.port))
        patch.setenv("SMTP_STARTTLS", "false")
        patch.setenv("MAIL_POLL_SECONDS", "0.2")
        # A meeting is a dozen messages in quick succession: above the default burst.
        patch.setenv("RATE_LIMIT_BURST", "50")
        try:
            supervisor.start()
            yield config, app_db
        finally:
            supervisor.stop()


def say(config: LaunchConfig, session: str, message: str) -> tuple[str, list[str]]:
    replies = chat_through_the_web_app(config.web_url, session, message)["replies"]
    text = "\n".join(reply.get("text", "") for reply in replies)
    return text, [b["payload"] for r in replies for b in r.get("buttons") or []]


def run_checklist(config: LaunchConfig, session: str) -> None:
    say(config, session, "kan vi bli ett asf?")
    for answer in ["/affirm", "/affirm", "/deny", "/affirm", "/dont_know", "/affirm"]:
        say(config, session, answer)


def summary_mails(smtp: SmtpTestServer) -> list[Received]:
    return [m for m in list(smtp.received) if m.message["X-ASF-Summary"]]


def wait_for_summary(smtp: SmtpTestServer, timeout: float = 60) -> Received:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = summary_mails(smtp)
        if mails:
            return mails[0]
        time.sleep(0.2)
    raise AssertionError("the summary mail did not arrive")


def tracker_rows(config: LaunchConfig, session: str) -> list[tuple]:
    with sqlite3.connect(config.var_dir / "tracker.db") as db:
        query = "SELECT type_name, data FROM events WHERE sender_id = ?"
        return db.execute(query, (session,)).fetchall()


def app_rows(app_db: Path) -> dict[str, list[tuple]]:
    tables = ["email_consents", "pending_questions", "tickets", "outbox", "checklist_results"]
    with sqlite3.connect(app_db) as db:
        return {table: db.execute(f"SELECT * FROM {table}").fetchall() for table in tables}


def test_the_founder_gets_the_summary_by_mail_and_the_session_ends_clean(bot, smtp):
    config, app_db = bot
    session = secrets.token_urlsafe(24)
    run_checklist(config, session)

    text, buttons = say(config, session, "/send_summary")
    assert text == PRIVACY.consent_request(Purpose.SUMMARY)
    assert buttons == ["/affirm", "/deny"]
    text, _ = say(config, session, "/affirm")
    assert text == PRIVACY.ask_address
    text, _ = say(config, session, ADDRESS)
    assert text == f"{PRIVACY.summary_saved}\n{PRIVACY.summary_on_its_way}"

    mail = wait_for_summary(smtp)
    assert mail.rcpt_tos == [ADDRESS]
    [pdf] = list(mail.message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename().startswith("sammanfattning-")
    reader = PdfReader(io.BytesIO(pdf.get_content()))
    shown = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for criterion in CRITERIA:
        assert CONTENT.checklist().labels[criterion] in shown
    assert CONTENT.checklist().verdicts["nagot_inte_uppfyllt"] in shown
    assert {"å", "ä", "ö"} <= set(shown)
    # The address reached the mail, never the conversation's stored copy.
    assert "anna.berg" not in repr(tracker_rows(config, session))
    assert [row[1] for row in app_rows(app_db)["email_consents"]] == [ADDRESS]

    text, _ = say(config, session, "/end_session")
    assert text.startswith(PRIVACY.session_ended)
    assert PRIVACY.session_ended_statistics in text
    assert tracker_rows(config, session) == []
    rows = app_rows(app_db)
    assert {table: found for table, found in rows.items() if found} == {
        "checklist_results": rows["checklist_results"]
    }
    [result] = rows["checklist_results"]
    assert result[1] is None  # conversation_ref: nothing links it to the meeting
    # Exactly one summary mail, and none sent again afterwards.
    time.sleep(1)
    assert len(summary_mails(smtp)) == 1


def test_a_no_keeps_no_address_and_sends_no_summary(bot, smtp):
    config, app_db = bot
    session = secrets.token_urlsafe(24)
    before = len(summary_mails(smtp))
    consents = app_rows(app_db)["email_consents"]
    say(config, session, "skicka sammanfattningen till mig")
    text, _ = say(config, session, "/deny")
    assert text == f"{PRIVACY.declined}\n{PRIVACY.summary_not_sent}"
    time.sleep(1)
    assert len(summary_mails(smtp)) == before
    assert app_rows(app_db)["email_consents"] == consents
