"""Consent, storage and redaction through the real servers, as `make run` starts them.

After the conversations below, no raw address, personnummer or phone number a visitor
typed may be found in the tracker store's rows (the SQLite file read directly), in the
tracker read through Rasa's HTTP API, or in the logs of any of the three processes,
which run at DEBUG level so that Rasa logs every message and slot.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from bot.chat import send
from bot.launcher import LaunchConfig, Supervisor
from bot.pseudonym import conversation_ref
from bot.settings import DEVELOPMENT_PSEUDONYM_KEY, PROJECT_ROOT
from bot.storage.migrate import upgrade
from tests.conftest import free_port
from tests.integration.test_running_bot import chat_through_the_web_app

TOKEN = "privacy-test-token"
STATEMENT = "Om du fyller i din e-postadress sparas den hos Tillväxtverket"
KEPT = "anna.öberg@exempel.se"
# Everything personal the visitors type below, each as it would look in a JSON dump too.
TYPED = [
    KEPT,
    "tidig.adress@exempel.se",
    "anna@gmail,com",
    "anna@",
    "lisa.nej@exempel.se",
    "web.besok@exempel.se",
    "delete.me@exempel.se",
    "19850709-1234",
    "070-123 45 67",
]


def leaks(text: str) -> list[str]:
    """Return what a visitor typed that `text` still holds, raw or JSON-escaped."""
    forms = {form for value in TYPED for form in (value, json.dumps(value)[1:-1])}
    forms |= {"öberg", "\\u00f6berg", "tidig.adress", "lisa.nej", "web.besok", "anna@"}
    return sorted(form for form in forms if form in text)


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    content = tmp_path_factory.mktemp("content")
    for name in ("calls.yml", "contacts.yml", "checklist.yml", "privacy.yml"):
        shutil.copy(PROJECT_ROOT / "content" / name, content / name)
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


def test_consent_then_address_is_kept_and_nothing_personal_is_written(bot):
    config, app_db = bot
    sender = "privacy-yes-0001"
    # An address typed before any consent is not kept: the statement comes first.
    answer, choices = ask(config, sender, "kan ni mejla svaret till tidig.adress@exempel.se?")
    assert STATEMENT in answer and "tidig.adress" not in answer
    assert choices == [("Ja", "/affirm"), ("Nej", "/deny")]
    assert "Skriv din e-postadress" in say(config, sender, "/affirm")
    assert "Det saknas något efter @" in say(config, sender, "anna@")
    assert "kommatecken" in say(config, sender, "anna@gmail,com")
    assert say(config, sender, f"min adress är {KEPT}").startswith("Tack!")
    assert stored_addresses(app_db) == [
        (KEPT, "svar på fråga", "1", conversation_ref(DEVELOPMENT_PSEUDONYM_KEY, sender))
    ]
    say(config, sender, "mitt personnummer är 19850709-1234 och telefon 070-123 45 67")

    # The visitor sees the address; the stored copy of that answer does not hold it.
    shown = say(config, sender, "vad har ni sparat om mig?")
    assert KEPT in shown and "svar på fråga" in shown

    rows = tracker_rows(config, sender)
    assert "[e-postadress]" in rows and "[personnummer]" in rows
    assert leaks(rows) == []
    assert leaks(tracker_over_http(config, sender)) == []


def test_no_consent_keeps_nothing_and_gives_the_phone_contact(bot):
    config, app_db = bot
    sender = "privacy-no-0001"
    before = stored_addresses(app_db)
    assert STATEMENT in say(config, sender, "jag vill ha svar via e-post")
    answer = say(config, sender, "/deny")
    assert "jag sparar ingen e-postadress" in answer and "08-681 9223" in answer
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
    say(config, sender, "/affirm")
    say(config, sender, "delete.me@exempel.se")
    ref = conversation_ref(DEVELOPMENT_PSEUDONYM_KEY, sender)
    assert [row for row in stored_addresses(app_db) if row[3] == ref]
    assert "Klart. Jag har raderat" in say(config, sender, "radera mina uppgifter")
    assert [row for row in stored_addresses(app_db) if row[3] == ref] == []
    assert tracker_rows(config, sender) == "[]"
    assert "delete.me" not in tracker_over_http(config, sender)


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
        "mail-sink.log",
        "mail-worker.log",
    }
    # Rasa logs every message at DEBUG: redacted, so the test would have seen a leak.
    assert "[e-postadress]" in logs["Rasa-server.log"]
    assert {name: leaks(text) for name, text in logs.items()} == {name: [] for name in logs}
