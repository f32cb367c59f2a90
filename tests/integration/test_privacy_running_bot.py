"""Consent, storage, redaction and questions handed to staff through the real servers.

The bot runs as `make run` starts it, with its staff mail sent by the mail worker to a
real SMTP server (aiosmtpd, tests/integration/smtp.py) through SMTP_HOST. After the
conversations below, no raw address, personnummer or phone number a visitor typed may be
found in the tracker store's rows (the SQLite file read directly), in the tracker read
through Rasa's HTTP API, or in the logs of any process, which run at DEBUG level so that
Rasa logs every message and slot. The one address a visitor consented to give reaches
staff as the mail's Reply-To, and nowhere else.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
import urllib.request
from pathlib import Path

import pytest

from bot.domain.pseudonym import conversation_ref
from bot.runtime.chat import send
from bot.runtime.launcher import LaunchConfig, Supervisor
from bot.runtime.settings import DEVELOPMENT_PSEUDONYM_KEY, PROJECT_ROOT
from bot.storage.migrate import upgrade
from tests.conftest import free_port
from tests.integration.smtp import Received, SmtpTestServer
from tests.integration.test_running_bot import chat_through_the_web_app

TOKEN = "privacy-test-token"
STATEMENT = "Om du fyller i din e-postadress sparas den hos Tillväxtverket"
ASK_QUESTION = "Skriv din fråga med egna ord."
KEPT = "anna.berg@exempel.se"
STAFF_REPLY_TO = "escalation.anna@exempel.se"
REFERENCE = re.compile(r"ASF-\d{4}-\d{6}")
# Everything personal the visitors type below, each as it would look in a JSON dump too.
TYPED = [
    KEPT,
    STAFF_REPLY_TO,
    "anna.öberg@exempel.se",
    "tidig.adress@exempel.se",
    "anna@gmail,com",
    "anna@",
    "lisa.nej@exempel.se",
    "web.besok@exempel.se",
    "delete.me@exempel.se",
    "19850709-1234",
    "070-123 45 67",
    "073-987 65 43",
    "070-555 12 34",
]


def leaks(text: str) -> list[str]:
    """Return what a visitor typed that `text` still holds, raw or JSON-escaped."""
    forms = {form for value in TYPED for form in (value, json.dumps(value)[1:-1])}
    forms |= {"öberg", "\\u00f6berg", "tidig.adress", "lisa.nej", "web.besok", "anna@"}
    forms |= {"anna.berg", "escalation.anna"}
    return sorted(form for form in forms if form in text)


@pytest.fixture(scope="module")
def smtp():
    """The staff's mail server: a real aiosmtpd the mail worker delivers to."""
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
        # Every process logs everything it can: messages, slots, events.
        patch.setenv("LOG_LEVEL", "DEBUG")
        # Staff mail through a relay, as in production: the real SMTP server above.
        patch.setenv("SMTP_HOST", "127.0.0.1")
        patch.setenv("SMTP_PORT", str(smtp.port))
        patch.setenv("SMTP_STARTTLS", "false")
        patch.setenv("MAIL_POLL_SECONDS", "0.2")
        try:
            supervisor.start()
            yield config, app_db
        finally:
            supervisor.stop()


def say(config: LaunchConfig, sender: str, message: str) -> str:
    replies = send(config.rasa_url, sender, message)
    return "\n".join(reply.get("text", "") for reply in replies)


def ask(config: LaunchConfig, sender: str, message: str) -> tuple[str, list[tuple[str, str]]]:
    replies = send(config.rasa_url, sender, message)
    text = "\n".join(reply.get("text", "") for reply in replies)
    return text, [(b["title"], b["payload"]) for r in replies for b in r.get("buttons") or []]


def mail_for(smtp: SmtpTestServer, reference: str, timeout: float = 60) -> Received:
    """Wait for the staff mail of one ticket to arrive at the SMTP server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in list(smtp.received):
            if f"[{reference}]" in mail.message["Subject"]:
                return mail
        time.sleep(0.2)
    raise AssertionError(f"the mail of {reference} did not arrive")


def stored_addresses(app_db: Path) -> list[tuple]:
    with sqlite3.connect(app_db) as db:
        return db.execute(
            "SELECT address, purpose, policy_version, conversation_ref FROM email_consents"
        ).fetchall()


def tracker_rows(config: LaunchConfig, sender: str | None = None) -> str:
    with sqlite3.connect(config.var_dir / "tracker.db") as db:
        query, args = "SELECT sender_id, type_name, data FROM events", ()
        if sender:
            query, args = query + " WHERE sender_id = ?", (sender,)
        return repr(db.execute(query, args).fetchall())


def tracker_over_http(config: LaunchConfig, sender: str) -> str:
    url = f"{config.rasa_url}/conversations/{sender}/tracker?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def test_consent_then_address_is_kept_and_nothing_personal_is_written(bot, smtp):
    config, app_db = bot
    sender = "privacy-yes-0001"
    # An address typed before any consent is not kept: the question comes first, then
    # the statement.
    answer = say(config, sender, "kan ni mejla svaret till tidig.adress@exempel.se?")
    assert ASK_QUESTION in answer and "tidig.adress" not in answer
    answer, choices = ask(config, sender, "Hur många måste vara anställda i ett ASF?")
    assert STATEMENT in answer
    assert choices == [("Ja", "/affirm"), ("Nej", "/deny")]
    assert "Skriv din e-postadress" in say(config, sender, "/affirm")
    assert "Det saknas något efter @" in say(config, sender, "anna@")
    assert "kommatecken" in say(config, sender, "anna@gmail,com")
    answer = say(config, sender, f"min adress är {KEPT}")
    assert answer.startswith("Tack!") and REFERENCE.search(answer)
    # Staff reply to the consented address; the one typed before consent is not there.
    mail = mail_for(smtp, REFERENCE.search(answer).group(0)).message
    assert mail["Reply-To"] == KEPT
    assert "tidig.adress" not in mail.as_string()
    assert (
        "Besökaren: kan ni mejla svaret till [e-postadress]?"
        in mail.get_body("plain").get_content()
    )
    assert stored_addresses(app_db) == [
        (KEPT, "svar från handläggare", "1", conversation_ref(DEVELOPMENT_PSEUDONYM_KEY, sender))
    ]
    say(config, sender, "mitt personnummer är 19850709-1234 och telefon 070-123 45 67")

    # The visitor sees the address; the stored copy of that answer does not hold it.
    shown = say(config, sender, "vad har ni sparat om mig?")
    assert KEPT in shown and "svar från handläggare" in shown

    rows = tracker_rows(config, sender)
    assert "[e-postadress]" in rows and "[personnummer]" in rows
    assert leaks(rows) == []
    assert leaks(tracker_over_http(config, sender)) == []


def test_no_consent_keeps_nothing_and_gives_the_phone_contact(bot):
    config, app_db = bot
    sender = "privacy-no-0001"
    before = stored_addresses(app_db)
    assert ASK_QUESTION in say(config, sender, "jag vill ha svar via e-post")
    assert STATEMENT in say(config, sender, "Vem äger ett ASF?")
    answer = say(config, sender, "/deny")
    assert "jag sparar ingen e-postadress" in answer and "08-681 9223" in answer
    assert "inte svara dig skriftligt" in answer and REFERENCE.search(answer)
    # Typed anyway, after the no: still not kept.
    say(config, sender, "lisa.nej@exempel.se")
    assert stored_addresses(app_db) == before
    assert leaks(tracker_rows(config, sender)) == []


def test_a_message_through_the_web_app_is_stored_redacted(bot):
    config, _ = bot
    session = "web-privacy-session-0001"
    chat_through_the_web_app(config.web_url, session, "min mejl är web.besok@exempel.se")
    assert "web.besok" not in tracker_rows(config, session)


def test_deletion_in_chat_removes_address_consent_and_conversation(bot):
    config, app_db = bot
    sender = "privacy-delete-0001"
    say(config, sender, "kan ni mejla mig svaret?")
    say(config, sender, "Hur startar vi ett ASF?")
    say(config, sender, "/affirm")
    say(config, sender, "delete.me@exempel.se")
    ref = conversation_ref(DEVELOPMENT_PSEUDONYM_KEY, sender)
    assert [row for row in stored_addresses(app_db) if row[3] == ref]
    question = say(config, sender, "radera mina uppgifter")
    assert question.startswith("Vill du att jag raderar det här?")
    assert "delete.me@exempel.se" in question and "Det går inte att ångra." in question
    # Asking deleted nothing; only the Ja does.
    assert [row for row in stored_addresses(app_db) if row[3] == ref]
    assert "Klart. Jag har raderat" in say(config, sender, "ja")
    assert [row for row in stored_addresses(app_db) if row[3] == ref] == []
    assert tracker_rows(config, sender) == "[]"
    assert "delete.me" not in tracker_over_http(config, sender)


def test_a_question_handed_to_staff_arrives_with_reply_to_and_no_other_personal_data(bot, smtp):
    config, app_db = bot
    sender = "escalation-yes-0001"
    assert "driver näringsverksamhet" in say(config, sender, "vad är ett asf?")
    # Personal data typed in passing; the answer it gets does not help.
    say(config, sender, "jag heter Lisa och nås på 073-987 65 43, vilka villkor gäller?")
    answer, choices = ask(config, sender, "det hjälpte inte")
    assert answer.startswith("Förlåt att svaret inte hjälpte dig.")
    assert choices == [("Ja", "/affirm"), ("Nej", "/deny")]
    # The question is asked for, with no complaint about a question not yet written.
    assert say(config, sender, "Ja").startswith(ASK_QUESTION)
    # A number to call back in the question itself: staff get it as typed, while the
    # conversation store and every log hold it redacted.
    question = (
        "Vi är tre i Örebro som vill starta.\nFår vi bli ett <b>ASF</b> & söka stöd? "
        "Ring mig på 070-555 12 34."
    )
    assert STATEMENT in say(config, sender, question)
    say(config, sender, "/affirm")
    # Staff could not reply to it: asked again, and not kept.
    assert "å, ä, ö" in say(config, sender, "anna.öberg@exempel.se")
    answer = say(config, sender, STAFF_REPLY_TO)
    assert answer.startswith("Tack! Din e-postadress är sparad")
    reference = REFERENCE.search(answer).group(0)
    assert f"Ditt ärendenummer är {reference}." in answer
    assert "så snart som möjligt" in answer

    message = mail_for(smtp, reference).message
    assert message["Reply-To"] == STAFF_REPLY_TO
    text = message.get_body("plain").get_content().replace("\r\n", "\n")
    assert question in text
    assert "&lt;b&gt;ASF&lt;/b&gt;" in message.get_body("html").get_content()
    turns = text[text.index("Senaste delen av samtalet") :]
    assert "Besökaren: vad är ett asf?" in turns and "Besökaren: det hjälpte inte" in turns
    assert "Besökaren: jag heter Lisa och nås på [telefonnummer]" in turns
    assert leaks(turns) == []
    assert STAFF_REPLY_TO not in turns

    with sqlite3.connect(app_db) as db:
        [(stored_question, reply_to)] = db.execute(
            "SELECT question, reply_to FROM tickets WHERE reference = ?", (reference,)
        ).fetchall()
    assert (stored_question, reply_to) == (question, STAFF_REPLY_TO)
    assert leaks(tracker_rows(config, sender)) == []
    assert leaks(tracker_over_http(config, sender)) == []


def test_two_unclear_messages_lead_to_the_offer_and_a_no_to_the_phone_number(bot, smtp):
    config, _ = bot
    sender = "escalation-unclear-0001"
    answer, choices = ask(config, sender, "asdkjh qwerty")
    assert answer.startswith("Jag förstod inte riktigt.") and choices
    answer, choices = ask(config, sender, "kjhg kjhg kjhg")
    assert answer.startswith("Jag förstår tyvärr inte din fråga.")
    assert choices == [("Ja", "/affirm"), ("Nej", "/deny")]
    answer = say(config, sender, "/deny")
    assert answer.startswith("Okej, jag skickar ingen fråga.") and "08-681 9223" in answer


def test_a_person_asked_for_and_then_stopping_sends_nothing(bot, smtp):
    config, app_db = bot
    sender = "escalation-stop-0001"
    with sqlite3.connect(app_db) as db:
        before = db.execute("SELECT COUNT(*) FROM tickets").fetchone()
    answer = say(config, sender, "kan jag prata med en handläggare?")
    assert "telefon 08-681 9223" in answer and "Vill du det?" in answer
    assert say(config, sender, "/affirm").startswith(ASK_QUESTION)
    assert STATEMENT in say(config, sender, "Hur många ASF finns i Skåne?")
    answer = say(config, sender, "avbryt")
    assert answer.startswith("Okej, jag skickar ingen fråga.")
    with sqlite3.connect(app_db) as db:
        assert db.execute("SELECT COUNT(*) FROM tickets").fetchone() == before


def test_no_log_of_any_process_holds_what_visitors_typed(bot):
    config, _ = bot
    logs = {
        path.name: path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(config.log_dir.glob("*.log"))
    }
    assert set(logs) == {
        "Rasa-server.log",
        "action-server.log",
        "web-app.log",
        "mail-worker.log",
    }
    # Rasa logs every message at DEBUG: redacted, so the test would have seen a leak.
    assert "[e-postadress]" in logs["Rasa-server.log"]
    # Tickets are named by their reference, and their mail was sent.
    assert REFERENCE.search(logs["action-server.log"])
    assert " sent" in logs["mail-worker.log"]
    assert {name: leaks(text) for name, text in logs.items()} == {name: [] for name in logs}
