"""The whole bot as `make run` starts it: the Rasa server, the action server, content."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.domain.checklist import CRITERIA
from bot.runtime.chat import send
from bot.runtime.launcher import LaunchConfig
from bot.runtime.settings import PROJECT_ROOT
from tests.conftest import free_port, running_bot
from tests.integration.network import accepts, listening_addresses

TOKEN = "test-token"


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def content_dir(tmp_path_factory) -> Path:
    """A copy of the shipped content that tests may edit."""
    path = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(PROJECT_ROOT / "content", path)
    return path


@pytest.fixture(scope="module")
def bot(trained_model, content_dir, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    env = {"ASF_CONTENT_DIR": str(content_dir)}
    with running_bot(trained_model, var_dir, TOKEN, env) as supervisor:
        yield supervisor.config


@pytest.fixture(scope="module")
def database_url(bot) -> str:
    return f"sqlite:///{bot.var_dir / 'app.db'}"


def ask(bot: LaunchConfig, message: str, sender: str = "visitor") -> list[dict]:
    return send(bot.rasa_url, sender, message)


def texts(replies: list[dict]) -> list[str]:
    return [reply.get("text", "") for reply in replies]


def test_a_question_gets_the_answer_from_the_agency_page(bot):
    answer = " ".join(texts(ask(bot, "Vad är ett ASF?")))
    assert "driver näringsverksamhet" in answer
    assert "minst två affärsidéer" in answer


def test_the_greeting_offers_main_topics_as_buttons_that_work(bot):
    [greeting] = ask(bot, "hej", sender="buttons")
    titles = {b["title"]: b["payload"] for b in greeting["buttons"]}
    assert {"Vad är ett ASF?", "Stöd att söka", "Kontakt"} <= set(titles)
    answer = " ".join(texts(ask(bot, titles["Stöd att söka"], sender="buttons")))
    assert "Just nu finns inga stöd att söka" in answer
    assert "ASF Affärsutvecklingscheck är stängd" in answer


def test_the_contact_comes_from_the_content_file_and_follows_its_edits(bot, content_dir):
    answer = " ".join(texts(ask(bot, "hur kontaktar jag er?")))
    assert "Eva Carlsson" in answer and "08-681 9223" in answer
    assert "eva.carlsson@tillvaxtverket.se" in answer

    contacts = content_dir / "contacts.yml"
    original = contacts.read_text(encoding="utf-8")
    try:
        contacts.write_text(original.replace("Eva Carlsson", "Anna Berg"), encoding="utf-8")
        stat = contacts.stat()
        os.utime(contacts, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        answer = " ".join(texts(ask(bot, "hur kontaktar jag er?")))
        assert "Anna Berg" in answer and "Eva Carlsson" not in answer
    finally:
        contacts.write_text(original, encoding="utf-8")


def test_an_english_question_gets_the_answer_without_a_swedish_only_note(bot):
    # The answer's English variation is domain.yml's; here only which answer it is.
    replies = ask(bot, "What is a work integration social enterprise?", sender="english")
    assert [reply.get("response") for reply in replies] == ["utter_what_is_asf"]
    assert not any(text.startswith("Jag svarar bara på svenska") for text in texts(replies))
    answer = " ".join(texts(ask(bot, "Vad är ett ASF?", sender="english")))
    assert "driver näringsverksamhet" in answer


def test_an_off_topic_question_gets_an_honest_answer_and_the_contact(bot):
    answer = " ".join(texts(ask(bot, "vad blir det för väder i helgen?")))
    assert "Jag kan bara svara på frågor om arbetsintegrerande sociala företag" in answer
    assert "08-681 9223" in answer
    for fact in ("358", "9 200", "60 miljoner", "Västra Götaland"):
        assert fact not in answer


def test_an_unclear_message_gets_a_request_to_rephrase_with_topics(bot):
    [reply] = ask(bot, "asdkjh qwerty")
    assert reply["text"].startswith("Jag förstod inte riktigt.")
    assert reply["buttons"]


def test_the_http_api_needs_the_token_and_the_action_server_answers_health(bot):
    assert status(f"{bot.rasa_url}/status") == 401
    assert status(f"{bot.rasa_url}/status?token={TOKEN}") == 200
    assert status(f"{bot.action_url}/health") == 200


def test_every_server_listens_on_loopback_only(bot):
    ports = {
        "Rasa server": bot.rasa_port,
        "action server": bot.action_port,
        "web app": bot.web_port,
        "mail sink": bot.mail_port,
    }
    for name, port in ports.items():
        # Not 0.0.0.0 or ::, which every network interface reaches.
        assert listening_addresses(port) == {"127.0.0.1"}, name
        # 127.0.0.2 is loopback too, but only a socket on every interface accepts there.
        assert accepts("127.0.0.1", port) and not accepts("127.0.0.2", port), name


def call_action_server(bot: LaunchConfig, secret: str | None) -> tuple[int, dict]:
    action_call = {
        "next_action": "action_load_calls",
        "sender_id": "action-secret",
        "tracker": {"sender_id": "action-secret", "slots": {}, "events": []},
        "domain": {},
        "version": "3.6.21",
    }
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    request = urllib.request.Request(
        f"{bot.action_url}/webhook", data=json.dumps(action_call).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_action_server_runs_actions_only_for_callers_with_its_secret(bot):
    for secret in (None, "", "wrong", bot.action_token + "x", bot.action_token[:-1], TOKEN):
        code, body = call_action_server(bot, secret)
        assert code == 401, secret
        assert "events" not in body
    code, body = call_action_server(bot, bot.action_token)
    assert code == 200
    slots = {event["name"]: event["value"] for event in body["events"]}
    assert slots["calls_open"] is False
    assert "ASF Affärsutvecklingscheck är stängd" in slots["calls_text"]
    # The health check stays open: it runs nothing.
    assert status(f"{bot.action_url}/health") == 200


def test_a_question_answered_by_a_custom_action_gets_its_answer_through_the_secret(bot):
    answer = " ".join(texts(ask(bot, "Vilka stöd kan jag söka?", sender="calls")))
    assert "Just nu finns inga stöd att söka" in answer


def chat_through_the_web_app(web_url: str, session: str, message: str) -> dict:
    request = urllib.request.Request(
        f"{web_url}/api/chat",
        data=json.dumps({"session": session, "message": message}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_the_web_app_passes_messages_to_rasa_without_the_token(bot):
    assert status(f"{bot.web_url}/health") == 200
    body = chat_through_the_web_app(bot.web_url, "web-app-session-0001", "Vad är ett ASF?")
    answer = " ".join(reply["text"] for reply in body["replies"])
    assert "driver näringsverksamhet" in answer
    page = urllib.request.urlopen(bot.web_url, timeout=10).read().decode("utf-8")
    assert TOKEN not in page


def test_conversations_are_kept_in_the_sqlite_tracker_store(bot):
    ask(bot, "hur många asf finns det?", sender="stored")
    with sqlite3.connect(bot.var_dir / "tracker.db") as db:
        rows = db.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = 'stored' AND type_name = 'user'"
        ).fetchone()
    assert rows == (1,)


def test_a_founder_completes_the_checklist_and_it_is_stored_anonymously(bot, database_url):
    sender = "founder-7"
    replies = ask(bot, "kan vi bli ett asf?", sender=sender)
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/affirm", "/deny", "/dont_know"]
    for answer in ["/affirm", "japp", "/affirm", "nej", "kanske"]:
        ask(bot, answer, sender=sender)
    result = " ".join(texts(ask(bot, "ja", sender=sender)))
    assert "Vinsterna återinvesteras: inte uppfyllt" in result
    assert "Organisatoriskt fristående: oklart" in result
    assert "Det här är ingen formell bedömning." in result
    assert "08-681 9223" in result
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute(
            f"SELECT {', '.join(CRITERIA)}, verdict FROM checklist_results"
        ).fetchall()
        everything = repr(db.execute("SELECT * FROM checklist_results").fetchall())
    assert rows == [("ja", "ja", "ja", "nej", "vet_inte", "ja", "nagot_inte_uppfyllt")]
    assert sender not in everything


def test_a_tickets_mail_reaches_the_local_sink_through_the_running_mail_worker(bot, database_url):
    from sqlalchemy import create_engine

    from bot.services.tickets import TicketService
    from bot.storage.tickets import TicketRepository

    engine = create_engine(database_url, future=True)
    service = TicketService(
        TicketRepository(engine), "test-key", "ASF-hjälpen <bot@example.se>", "staff@example.se"
    )
    ticket = service.create_ticket("Kan jag prata med en handläggare?", [], None, "running-1")
    engine.dispose()
    mail = bot.mail_dir / f"{ticket.reference}.eml"
    deadline = time.monotonic() + 60
    while not mail.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert mail.exists(), f"{mail} was not written"
    assert f"[{ticket.reference}]".encode() in mail.read_bytes()


def test_asf_bot_run_starts_the_web_app_and_mail_prints_its_url_first_and_stops_all_on_ctrl_c(
    trained_model, tmp_path
):
    rasa_port, action_port, web_port, mail_port = free_port(), free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("RASA_TOKEN", "SMTP_HOST")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'app.db'}"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "bot", "run",
            "--rasa-port", str(rasa_port), "--action-port", str(action_port),
            "--web-port", str(web_port), "--mail-port", str(mail_port),
            "--model", str(trained_model), "--var-dir", str(tmp_path),
        ],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        output = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        printed = "".join(output)
        assert "ASF-hjälpen is running." in printed, printed
        running = printed.index("ASF-hjälpen is running.")
        # The web page is what most people want: its URL comes first.
        first_line = printed[running:].splitlines()[1].split()
        assert first_line[:3] == ["Web", "page:", f"http://localhost:{web_port}"], printed
        assert status(f"http://localhost:{web_port}/health") == 200
        # Without SMTP_HOST, staff mail goes to the local sink, and the lines say where.
        assert f"Staff mail:    {tmp_path / 'mail'}/  (local SMTP sink on port {mail_port})" in (
            printed
        )
        assert "Mail worker:" in printed
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", mail_port)) == 0
        replies = chat_through_the_web_app(
            f"http://localhost:{web_port}", "asf-bot-run-session-01", "hej"
        )["replies"]
        assert replies[0]["text"].startswith("Hej!")
        token = next(line.split()[1] for line in output if "RASA_TOKEN:" in line)
        assert status(f"http://localhost:{rasa_port}/status?token={token}") == 200
        reply = send(f"http://localhost:{rasa_port}", "cli", "hej")
        assert reply and reply[0]["text"].startswith("Hej!")

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        # `asf-bot run` applied the migrations before starting.
        with sqlite3.connect(tmp_path / "app.db") as db:
            assert db.execute("SELECT COUNT(*) FROM checklist_results").fetchone() == (0,)
        for port in (rasa_port, action_port, web_port, mail_port):
            with socket.socket() as s:
                assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
