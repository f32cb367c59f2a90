"""Tests never depend on the caller's shell (tests/conftest.py scrubs the environment)."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.runtime.settings import PROJECT_ROOT, Settings, environment_names
from tests.conftest import SUITE_SETTINGS, scrubbed

# What a developer's shell might hold: a real relay, production mode, a stale database.
CALLERS_SHELL = {
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": "9",
    "RASA_TOKEN": "x",
    "ACTION_SERVER_TOKEN": "x",
    "DATABASE_URL": "sqlite:////nonexistent/x.db",
    "ASF_ENV": "production",
    "WEB_HOST": "0.0.0.0",
    "INSIGHT_SOMETHING_NEW": "1",
    "LOG_LEVEL": "DEBUG",
}


def test_the_settings_see_none_of_the_callers_shell():
    # Only what the suite itself sets (tests/conftest.py's SUITE_SETTINGS).
    assert Settings.from_env() == Settings.from_env(SUITE_SETTINGS)
    assert scrubbed(dict(os.environ)) == sorted(SUITE_SETTINGS)
    assert os.environ["RASA_TELEMETRY_ENABLED"] == "false"


def test_every_variable_the_settings_read_and_the_projects_prefixes_are_scrubbed():
    environ = {name: "1" for name in environment_names()} | CALLERS_SHELL | {"HOME": "/root"}
    assert set(scrubbed(environ)) == set(environ) - {"HOME"}


def test_a_caller_with_smtp_host_and_production_mode_set_runs_the_tests_unchanged():
    # A pytest of its own, started from a shell that holds those variables: the test
    # above passes there only if tests/conftest.py removed them before it ran.
    test = f"{__file__}::test_the_settings_see_none_of_the_callers_shell"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=PROJECT_ROOT,
        env={**os.environ, **CALLERS_SHELL},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
