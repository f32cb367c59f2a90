import shutil

import pytest

from bot.runtime.cli import main
from bot.runtime.settings import PROJECT_ROOT


def run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    return exit_.value.code


def test_check_content_shows_staff_what_visitors_will_be_told(capsys):
    assert run(["check-content"]) == 0
    out = capsys.readouterr().out
    assert "Eva Carlsson, Tillväxtverket, 08-681 9223" in out
    assert "Open calls: 0" in out
    assert "Mer information kommer." in out
    # No answering time until staff write one in content/escalation.yml.
    assert "Ditt ärendenummer är ASF-2026-000123." in out and "så snart som möjligt" in out


def test_check_content_names_the_broken_file_and_field(tmp_path, monkeypatch, capsys):
    shutil.copy(PROJECT_ROOT / "content" / "calls.yml", tmp_path / "calls.yml")
    (tmp_path / "contacts.yml").write_text("asf:\n  name: Eva\n", encoding="utf-8")
    monkeypatch.setenv("ASF_CONTENT_DIR", str(tmp_path))
    assert run(["check-content"]) == 1
    assert "contacts.yml: 'organisation' is missing" in capsys.readouterr().err


def test_run_refuses_to_start_on_broken_content(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASF_CONTENT_DIR", str(tmp_path))
    assert run(["run", "--var-dir", str(tmp_path / "var")]) == 1
    assert "does not exist" in capsys.readouterr().err
