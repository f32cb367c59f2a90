"""Shared fixtures: paths to the project's files and the trained model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

# Quiet third-party start-up noise in every process the tests start.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

SOURCE_PAGE = PROJECT_ROOT / "docs" / "source" / "tillvaxtverket-asf-page.txt"
MODEL = PROJECT_ROOT / "models" / "asf.tar.gz"


@pytest.fixture(scope="session")
def source_page() -> str:
    """The agency page, the only source of facts."""
    return SOURCE_PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make setup` trains; tests that need it fail clearly without it."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make setup` (make test does) first")
    return MODEL
