"""Completed checklists in a real database: SQLite file, and PostgreSQL when running."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.domain.checklist import CRITERIA, Answer, Verdict
from bot.runtime.settings import PROJECT_ROOT
from bot.services.checklist import ChecklistService
from bot.storage.checklists import ChecklistRepository
from bot.storage.migrate import upgrade

CONVERSATION_ID = "visitor-4f1c2a"


def service_for(url: str, when: datetime) -> tuple[ChecklistService, ChecklistRepository]:
    repository = ChecklistRepository(create_engine(url, future=True))
    return ChecklistService(repository, "test-key", clock=lambda: when), repository


def test_migrations_create_the_schema_and_can_run_twice(database_url):
    upgrade(database_url)
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    columns = {c["name"] for c in inspect(engine).get_columns("checklist_results")}
    assert columns == {"id", "conversation_ref", "completed_at", "verdict", *CRITERIA}


def test_two_machines_upgrading_one_database_at_once_both_start(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a SQLite file is one machine's: it is upgraded once, at its start")
    # `asf-bot run` upgrades the app database first; the machines of a cluster may all
    # start at the same moment.
    env = {**os.environ, "DATABASE_URL": database_url}
    upgrades = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db-upgrade"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    errors = [upgrade.communicate(timeout=120)[1].decode() for upgrade in upgrades]
    assert [upgrade.returncode for upgrade in upgrades] == [0, 0], errors
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert {"checklist_results", "tickets", "outbox"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    assert len(versions) == 1


def test_a_completed_checklist_is_stored_with_answers_verdict_and_time(database_url):
    upgrade(database_url)
    when = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
    service, repository = service_for(database_url, when)
    answers = {c: "ja" for c in CRITERIA} | {"reinvestment": "nej"}
    result = service.complete(answers, CONVERSATION_ID)
    assert result.verdict is Verdict.SOME_NOT_MET
    [stored] = repository.all()
    assert stored.answers["reinvestment"] is Answer.NO
    assert stored.verdict is Verdict.SOME_NOT_MET
    assert stored.completed_at.replace(tzinfo=timezone.utc) == when


def test_changing_an_answer_replaces_the_conversations_result(database_url):
    upgrade(database_url)
    service, repository = service_for(database_url, datetime.now(timezone.utc))
    service.complete({c: "nej" for c in CRITERIA}, CONVERSATION_ID)
    service.complete({c: "ja" for c in CRITERIA}, CONVERSATION_ID)
    service.complete({c: "vet_inte" for c in CRITERIA}, "another-visitor")
    verdicts = sorted(stored.verdict.value for stored in repository.all())
    assert verdicts == ["alla_uppfyllda", "nagot_oklart"]


def test_no_conversation_id_is_stored_in_clear(database_url):
    upgrade(database_url)
    service, _ = service_for(database_url, datetime.now(timezone.utc))
    service.complete({c: "ja" for c in CRITERIA}, CONVERSATION_ID)
    with create_engine(database_url, future=True).connect() as connection:
        rows = connection.execute(text("SELECT * FROM checklist_results")).all()
    assert CONVERSATION_ID not in repr(rows)
    assert len(rows[0].conversation_ref) == 64


def test_advisers_see_statistics_without_personal_data(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    service, _ = service_for(url, datetime(2026, 11, 28, tzinfo=timezone.utc))
    service.complete({c: "ja" for c in CRITERIA}, "a")
    service.complete({c: "ja" for c in CRITERIA} | {"purpose": "nej"}, "b")
    monkeypatch.setenv("DATABASE_URL", url)
    from bot.runtime.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["checklist-stats"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "Completed checklists: 2" in out
    assert "alla_uppfyllda: 1" in out and "nagot_inte_uppfyllt: 1" in out
    assert "purpose               1      1         0" in out
