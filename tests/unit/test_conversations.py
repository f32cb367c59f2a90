"""TRACKER_STORE_URL becomes the endpoint keys Rasa's SQL tracker store takes, and back."""

from __future__ import annotations

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import make_url

from bot.storage.conversations import (
    TRACKER_STORE_TYPE,
    tracker_store_endpoint,
    tracker_store_url,
)

URL = "postgresql+psycopg2://asf:s3cr%40t@db.internal:6432/asf?sslmode=require"


def rasa_url(keys: dict) -> str:
    """The URL Rasa's SQL tracker store connects to, given endpoints.yml's keys."""
    # Rasa hands a tracker store loaded by module path its `url` key as `host`.
    url = SQLTrackerStore.get_db_url(
        dialect=keys["dialect"],
        host=keys.get("url"),
        port=keys.get("port"),
        db=keys["db"],
        username=keys.get("username"),
        password=keys.get("password"),
        query=keys.get("query"),
    )
    return url.render_as_string(hide_password=False)


def test_a_postgresql_url_becomes_rasas_keys_with_nothing_lost():
    keys = tracker_store_endpoint(URL)
    assert keys == {
        "type": TRACKER_STORE_TYPE,
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 6432,
        "db": "asf",
        "username": "asf",
        "password": "s3cr@t",
        "query": {"sslmode": "require"},
    }
    # The same server, user, password and options, by psycopg2 (PostgreSQL's default).
    assert rasa_url(keys) == URL.replace("+psycopg2", "")


def test_the_plain_postgresql_dialect_lets_rasa_size_its_pool_and_schema():
    # Rasa applies SQL_POOL_SIZE, SQL_MAX_OVERFLOW and POSTGRESQL_SCHEMA only to a URL
    # whose driver name is exactly "postgresql".
    assert tracker_store_endpoint("postgresql://postgres@127.0.0.1/test")["dialect"] == (
        "postgresql"
    )
    assert tracker_store_endpoint(URL)["dialect"] == "postgresql"


def test_a_search_path_in_the_url_reaches_rasa():
    url = "postgresql+psycopg2://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dasf"
    keys = tracker_store_endpoint(url)
    assert keys["query"] == {"options": "-csearch_path=asf"}
    assert make_url(rasa_url(keys)).query == {"options": "-csearch_path=asf"}


def test_a_sqlite_url_becomes_the_file_form(tmp_path):
    assert tracker_store_endpoint(f"sqlite:///{tmp_path / 'tracker.db'}") == {
        "type": TRACKER_STORE_TYPE,
        "dialect": "sqlite",
        "db": str(tmp_path / "tracker.db"),
    }
    assert tracker_store_endpoint("sqlite:///var/tracker.db")["db"] == "var/tracker.db"


def test_an_in_memory_sqlite_tracker_store_is_refused():
    # Each replica, and the staff command line, would see conversations of its own.
    for url in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(ValueError, match="needs a file"):
            tracker_store_endpoint(url)


def test_the_staff_command_line_reads_back_the_url_written(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    for url in (URL, f"sqlite:///{tmp_path / 'tracker.db'}"):
        store = tracker_store_endpoint(url)
        endpoints.write_text(yaml.safe_dump({"tracker_store": store}), encoding="utf-8")
        read = make_url(tracker_store_url(endpoints, tmp_path))
        assert read.render_as_string(hide_password=False) == url.replace("+psycopg2", "")
