"""The counselling panel and summary against the whole bot as `make run` starts it: the
checklist answered through the chat API, read back from Rasa's tracker by the web app."""

from __future__ import annotations

import io
import json
import secrets
import shutil
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest
from pypdf import PdfReader

from bot.domain.checklist import CRITERIA
from bot.runtime.launcher import LaunchConfig
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentRepository
from tests.conftest import running_bot

pytestmark = pytest.mark.model

TOKEN = "counselling-token"
CONTENT = ContentRepository(PROJECT_ROOT / "content")


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    content = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    var_dir = tmp_path_factory.mktemp("var")
    # A dozen messages of one conversation in quick succession: above the default burst.
    env = {"ASF_CONTENT_DIR": str(content), "RATE_LIMIT_BURST": "50"}
    with running_bot(trained_model, var_dir, TOKEN, env) as supervisor:
        yield supervisor.config


def _post(url: str, data: bytes, content_type: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_json(url: str, body: dict) -> tuple[int, dict]:
    status, _, data = _post(url, json.dumps(body).encode(), "application/json")
    return status, json.loads(data)


def post_form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return _post(url, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")


def say(bot: LaunchConfig, session: str, message: str) -> list[dict]:
    status, body = post_json(f"{bot.web_url}/api/chat", {"session": session, "message": message})
    assert status == 200, body
    return body["replies"]


def panel(bot: LaunchConfig, session: str) -> dict:
    status, body = post_json(f"{bot.web_url}/api/checklist", {"session": session})
    assert status == 200, body
    return body


def answers(body: dict) -> dict[str, str | None]:
    return {c["criterion"]: c["answer"] for c in body["criteria"]}


def stored_events(bot: LaunchConfig, session: str) -> int:
    with sqlite3.connect(bot.var_dir / "tracker.db") as db:
        query = "SELECT COUNT(*) FROM events WHERE sender_id = ?"
        return db.execute(query, (session,)).fetchone()[0]


def test_a_new_conversations_panel_is_empty_and_reading_it_stores_nothing(bot):
    session = secrets.token_urlsafe(24)
    body = panel(bot, session)
    assert answers(body) == dict.fromkeys(CRITERIA)
    assert (body["asking"], body["complete"], body["verdict"]) == (None, False, None)
    assert stored_events(bot, session) == 0


def test_the_panel_follows_the_chat_through_a_change_and_the_summary_tells_the_result(bot):
    session = secrets.token_urlsafe(24)
    say(bot, session, "kan vi bli ett asf?")
    say(bot, session, "/affirm")
    say(bot, session, "/deny")
    assert stored_events(bot, session) > 0  # the conversation itself is stored
    body = panel(bot, session)
    assert answers(body) == {**dict.fromkeys(CRITERIA), "business": "ja", "purpose": "nej"}
    assert body["asking"] == "participation"
    purpose = body["criteria"][CRITERIA.index("purpose")]
    assert purpose["outcome_text"] == "inte uppfyllt"

    # A click on the criterion sends its payload: the bot's form asks the question again.
    replies = say(bot, session, purpose["change_payload"])
    assert CONTENT.checklist().questions["purpose"] in " ".join(r["text"] for r in replies)
    body = panel(bot, session)
    assert answers(body)["purpose"] is None
    assert body["asking"] == "purpose"

    for answer in ["/affirm", "/affirm", "/affirm", "/dont_know", "/affirm"]:
        say(bot, session, answer)
    body = panel(bot, session)
    assert answers(body) == {
        "business": "ja",
        "purpose": "ja",
        "participation": "ja",
        "reinvestment": "ja",
        "independence": "vet_inte",
        "public_services": "ja",
    }
    verdict = CONTENT.checklist().verdicts["nagot_oklart"]
    assert (body["complete"], body["verdict"], body["asking"]) == (True, verdict, None)

    status, headers, page = post_form(
        f"{bot.web_url}/radgivning/sammanfattning", {"session": session}
    )
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert verdict in page.decode("utf-8")

    status, headers, pdf = post_form(
        f"{bot.web_url}/radgivning/sammanfattning.pdf", {"session": session}
    )
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith('attachment; filename="sammanfattning-')
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    for criterion in CRITERIA:
        assert CONTENT.checklist().labels[criterion] in text
    assert verdict in text
    assert "Organisatoriskt fristående" in text and "Vet inte" in text
