"""`asf-bot insight report` on the tracker store and app database, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import Engine

from bot.domain.checklist import CRITERIA
from bot.domain.pseudonym import conversation_ref
from bot.nlp.tracker_store import create_tables
from bot.runtime.cli import parser
from bot.storage.conversations import events
from bot.storage.migrate import upgrade
from bot.storage.tables import answer_feedback, checklist_results, outbox, tickets
from tests.unit.test_insight_figures import Events

KEY = "insight-cli-test-key"
# 1 December 2026, 10:00 in Stockholm.
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def store_conversation(engine: Engine, sender: str, stored: Events) -> None:
    with engine.begin() as connection:
        for event in stored.events:
            connection.execute(
                insert(events).values(
                    sender_id=sender,
                    type_name=event["event"],
                    timestamp=event["timestamp"],
                    data=json.dumps(event),
                )
            )


def store_failed_ticket(engine: Engine, reference: str) -> None:
    with engine.begin() as connection:
        ticket_id = connection.execute(
            insert(tickets).values(
                reference=reference,
                created_at=MORNING,
                conversation_ref="ref",
                question="Hur gör vi?",
            )
        ).inserted_primary_key[0]
        connection.execute(
            insert(outbox).values(
                reference=reference,
                kind="ticket",
                ticket_id=ticket_id,
                message_id=f"<{reference}@test>",
                mail_from="bot@example.se",
                mail_to="staff@example.se",
                message=b"Subject: test\r\n\r\ntest\r\n",
                status="failed",
                attempts=5,
                next_attempt_at=MORNING,
                created_at=MORNING,
            )
        )


@pytest.fixture
def stored(database_url, tracker_url) -> tuple[str, str]:
    upgrade(database_url)
    create_tables(tracker_url)
    tracker = create_engine(tracker_url, future=True)
    for n in range(3):
        store_conversation(
            tracker,
            f"visitor-{n}",
            Events(MORNING + timedelta(minutes=n)).user("Kontakt", "contact", "utter_contact"),
        )
    unclear = Events(MORNING).user("qwxz anna.berg@exempel.se", "nlu_fallback", "utter_rephrase")
    store_conversation(tracker, "visitor-unclear", unclear)
    # A conversation of the day before: outside the period.
    store_conversation(
        tracker,
        "visitor-early",
        Events(MORNING - timedelta(days=1)).user("Kontakt", "contact", "utter_contact"),
    )
    tracker.dispose()
    app = create_engine(database_url, future=True)
    with app.begin() as connection:
        for n in range(3):
            connection.execute(
                insert(answer_feedback).values(
                    conversation_ref=conversation_ref(KEY, f"visitor-{n}"),
                    answer_id=f"a-{n}",
                    response="utter_contact",
                    vote="up",
                    voted_at=MORNING + timedelta(minutes=10),
                )
            )
            connection.execute(
                insert(checklist_results).values(
                    completed_at=MORNING,
                    verdict="alla_uppfyllda",
                    **{c: "ja" for c in CRITERIA},
                )
            )
    store_failed_ticket(app, "ASF-2026-000042")
    app.dispose()
    return database_url, tracker_url


def report(monkeypatch, stored, tmp_path, *options: str) -> tuple[int, str]:
    database_url, tracker_url = stored
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)
    monkeypatch.setenv("ASF_PSEUDONYM_KEY", KEY)
    out = tmp_path / "report.html"
    args = parser().parse_args(["insight", "report", *options, "--out", str(out)])
    code = args.handler(args)
    return code, out.read_text(encoding="utf-8") if out.exists() else ""


def test_the_report_of_one_day_reads_both_databases(monkeypatch, stored, tmp_path, capsys):
    code, html = report(
        monkeypatch, stored, tmp_path, "--since", "2026-12-01", "--until", "2026-12-01"
    )
    assert code == 0
    assert "Period: 1 december 2026." in html
    assert '<tr><th scope="row">Samtal</th><td class="num">4</td></tr>' in html
    # Three visitors asked for the contact and voted 👍 on it.
    assert (
        '<tr><th scope="row">Kontakt</th><td class="num">3</td><td class="num">3</td>'
        '<td class="num">3</td><td class="num">100\u00a0%</td><td class="num">0\u00a0%</td>'
    ) in html
    assert '<tr><th scope="row">Alla villkor uppfyllda</th><td class="num">3</td></tr>' in html
    assert "<li>ASF-2026-000042</li>" in html
    # One visitor's unclear message: its group shows no text, and no address anywhere.
    assert "qwxz" not in html and "anna.berg" not in html
    assert "Wrote" in capsys.readouterr().out


def test_a_period_before_any_conversation_gives_zeros(monkeypatch, stored, tmp_path):
    code, html = report(
        monkeypatch, stored, tmp_path, "--since", "2026-10-01", "--until", "2026-10-31"
    )
    assert code == 0
    assert '<tr><th scope="row">Samtal</th><td class="num">0</td></tr>' in html
    # Failed mail is named for the period it belongs to, or any later one: not earlier.
    assert "ASF-2026-000042" not in html


def test_a_since_that_is_no_date_is_refused(monkeypatch, stored, tmp_path, capsys):
    code, html = report(monkeypatch, stored, tmp_path, "--since", "igår")
    assert (code, html) == (2, "")
    assert "--since must be a date" in capsys.readouterr().err
