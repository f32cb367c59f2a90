"""The counselling view's endpoints, through aiohttp_client against a fake Rasa HTTP API."""

from __future__ import annotations

import datetime
import io
import logging
import socket
from types import SimpleNamespace

import pytest
from aiohttp import web
from pypdf import PdfReader
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.checklist import ActionChangeAnswer
from bot.domain.checklist import CRITERIA
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.services.content import ContentRepository
from bot.web import counselling
from bot.web.app import create_app

SESSION = "a-founder-session-0123456789"
TOKEN = "rasa-t0ken-for-tests"
UNREACHABLE = "Chatten går inte att nå just nu. Försök igen, eller ring 08-681 9223."
BAD_SESSION = "Chatten behöver startas om. Välj ”Ny konversation” och försök igen."
CONTENT = ContentRepository(PROJECT_ROOT / "content")
TODAY = datetime.date(2026, 12, 2)


class FakeRasa:
    """Rasa's tracker endpoint: answers with the state it is given, notes each request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.slots: dict[str, object] = {}
        self.active_loop: dict[str, object] = {}
        self.status = 200

    def app(self) -> web.Application:
        async def tracker(request: web.Request) -> web.Response:
            self.requests.append((request.match_info["conversation_id"], dict(request.query)))
            if request.query.get("token") != TOKEN:
                return web.json_response({"status": "failure", "code": 401}, status=401)
            if self.status != 200:
                return web.Response(status=self.status, text="error")
            state = {
                "sender_id": request.match_info["conversation_id"],
                "slots": {
                    **{f"checklist_{c}": None for c in CRITERIA},
                    "requested_slot": None,
                    **self.slots,
                },
                "latest_message": {"text": "ja", "intent": {"name": "affirm"}},
                "events": None,
                "active_loop": self.active_loop,
                "latest_action_name": "action_listen",
            }
            return web.json_response(state)

        app = web.Application()
        app.router.add_get("/conversations/{conversation_id}/tracker", tracker)
        return app


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def rasa_url(aiohttp_server, fake_rasa) -> str:
    server = await aiohttp_server(fake_rasa.app())
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def client(aiohttp_client, rasa_url):
    return await aiohttp_client(create_app(Settings(rasa_url=rasa_url, rasa_token=TOKEN)))


@pytest.fixture(autouse=True)
def meeting_day(monkeypatch):
    monkeypatch.setattr(counselling, "local_today", lambda: TODAY)


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def checklist(client, body) -> tuple[int, dict, object]:
    response = await client.post("/api/checklist", json=body)
    return response.status, await response.json(), response.headers


async def test_the_checklist_shows_each_criterion_as_answered_and_the_question_being_asked(
    client, fake_rasa
):
    fake_rasa.slots = {
        "checklist_business": "ja",
        "checklist_purpose": "vet_inte",
        "requested_slot": "checklist_participation",
    }
    fake_rasa.active_loop = {"name": "checklist_form", "validate": True, "rejected": False}
    status, body, headers = await checklist(client, {"session": SESSION})
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    # Rasa was asked with its token, for this conversation, without its events.
    assert fake_rasa.requests == [(SESSION, {"include_events": "NONE", "token": TOKEN})]
    texts = CONTENT.checklist()
    assert [c["criterion"] for c in body["criteria"]] == list(CRITERIA)
    business, purpose, participation = body["criteria"][:3]
    assert business == {
        "criterion": "business",
        "label": texts.labels["business"],
        "question": texts.questions["business"],
        "answer": "ja",
        "answer_text": "Ja",
        "outcome": "uppfyllt",
        "outcome_text": "uppfyllt",
        "change_payload": '/change_answer{"criterion":"business"}',
    }
    assert (purpose["answer"], purpose["answer_text"]) == ("vet_inte", "Vet inte")
    assert (purpose["outcome"], purpose["outcome_text"]) == ("oklart", "oklart")
    assert participation["answer"] is None and participation["outcome"] is None
    assert participation["answer_text"] is None and participation["outcome_text"] is None
    assert body["asking"] == "participation"
    assert (body["complete"], body["verdict"]) == (False, None)


async def test_a_complete_checklist_has_its_verdict_and_asks_nothing(client, fake_rasa):
    fake_rasa.slots = {f"checklist_{c}": "ja" for c in CRITERIA} | {"checklist_business": "nej"}
    status, body, _ = await checklist(client, {"session": SESSION})
    assert status == 200
    assert body["complete"] is True
    assert body["verdict"] == CONTENT.checklist().verdicts["nagot_inte_uppfyllt"]
    assert body["asking"] is None


async def test_a_requested_slot_outside_the_checklist_form_is_not_a_question_being_asked(
    client, fake_rasa
):
    fake_rasa.slots = {"requested_slot": "checklist_business"}
    fake_rasa.active_loop = {"name": "email_form"}
    assert (await checklist(client, {"session": SESSION}))[1]["asking"] is None
    fake_rasa.slots = {"requested_slot": "email"}
    fake_rasa.active_loop = {"name": "checklist_form"}
    assert (await checklist(client, {"session": SESSION}))[1]["asking"] is None


async def test_the_change_payload_is_the_one_the_bots_own_change_buttons_send():
    tracker = Tracker(
        sender_id=SESSION,
        slots={"checklist_business": "ja"},
        latest_message={"text": "ändra", "intent": {"name": "change_answer"}, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "checklist_form"},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    action = ActionChangeAnswer(SimpleNamespace(content=CONTENT))  # type: ignore[arg-type]
    await action.run(dispatcher, tracker, {})
    buttons = dispatcher.messages[0]["buttons"]
    # The same literal payload as the endpoint's (test above): one the NLU parses as
    # change_answer with its criterion.
    assert [b["payload"] for b in buttons] == [
        f'/change_answer{{"criterion":"{c}"}}' for c in CRITERIA
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "Meddelandet kunde inte läsas. Ladda om sidan och försök igen."),
        ('["a list"]', "Meddelandet kunde inte läsas. Ladda om sidan och försök igen."),
        ('{"session": 42}', BAD_SESSION),
        ('{"session": "short"}', BAD_SESSION),
        ('{"session": "../../status?token=x-abcdefgh"}', BAD_SESSION),
        ("{}", BAD_SESSION),
    ],
)
async def test_a_bad_request_or_session_is_refused_and_rasa_is_not_asked(
    client, fake_rasa, body, message
):
    response = await client.post(
        "/api/checklist", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["message"] == message
    assert fake_rasa.requests == []


async def test_rasa_down_is_told_as_the_chat_tells_it(aiohttp_client):
    client = await aiohttp_client(create_app(Settings(rasa_url=dead_url(), rasa_token=TOKEN)))
    status, body, _ = await checklist(client, {"session": SESSION})
    assert (status, body["message"]) == (503, UNREACHABLE)


async def test_rasa_refusing_the_token_or_failing_is_unreachable_and_logs_no_session(
    aiohttp_client, rasa_url, fake_rasa, caplog
):
    wrong = await aiohttp_client(create_app(Settings(rasa_url=rasa_url, rasa_token="wrong")))
    with caplog.at_level(logging.DEBUG):
        status, body, _ = await checklist(wrong, {"session": SESSION})
        assert (status, body["message"]) == (503, UNREACHABLE)
        fake_rasa.status = 500
        right = await aiohttp_client(create_app(Settings(rasa_url=rasa_url, rasa_token=TOKEN)))
        assert (await checklist(right, {"session": SESSION}))[0] == 503
    # The test servers' access logs aside (the web app runs without one, and Rasa's is
    # off below ERROR), nothing logged names the conversation or the token.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    assert "HTTP 401" in logged and "HTTP 500" in logged
    assert SESSION not in logged and TOKEN not in logged


async def test_without_rasa_token_the_endpoints_answer_503_and_say_why_in_the_log(
    aiohttp_client, rasa_url, fake_rasa, caplog
):
    client = await aiohttp_client(create_app(Settings(rasa_url=rasa_url)))
    with caplog.at_level(logging.ERROR):
        status, body, _ = await checklist(client, {"session": SESSION})
        page = await client.post("/radgivning/sammanfattning", data={"session": SESSION})
    assert (status, body["message"]) == (503, UNREACHABLE)
    assert page.status == 503
    assert "RASA_TOKEN is not set" in caplog.text
    assert fake_rasa.requests == []


async def test_the_summary_page_is_the_printable_summary_never_cached(client, fake_rasa):
    fake_rasa.slots = {"checklist_business": "ja", "checklist_purpose": "nej"}
    response = await client.post("/radgivning/sammanfattning", data={"session": SESSION})
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = await response.text()
    assert fake_rasa.requests[0][0] == SESSION
    assert '<link rel="stylesheet" href="/static/summary.css">' in page
    assert "widget.js" not in page and "<script" not in page
    assert '<time datetime="2026-12-02">' in page
    for criterion in CRITERIA:
        assert CONTENT.checklist().labels[criterion] in page
    assert "inte uppfyllt" in page
    assert CONTENT.counselling().not_answered in page
    # Its stylesheet is served beside the other static files, with a print stylesheet.
    css = await client.get("/static/summary.css")
    assert css.status == 200
    assert "@page" in await css.text() and "A4" in await css.text()


async def test_the_pdf_is_an_attachment_named_by_the_date_never_cached(client, fake_rasa):
    fake_rasa.slots = {f"checklist_{c}": "ja" for c in CRITERIA}
    response = await client.post("/radgivning/sammanfattning.pdf", data={"session": SESSION})
    assert response.status == 200
    assert response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="sammanfattning-2026-12-02.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(await response.read()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert CONTENT.checklist().verdicts["alla_uppfyllda"] in text
    assert "Säljer varor eller tjänster" in text


@pytest.mark.parametrize("path", ["/radgivning/sammanfattning", "/radgivning/sammanfattning.pdf"])
async def test_a_summary_form_without_a_good_session_is_refused_in_plain_swedish(
    client, fake_rasa, path
):
    for data in ({}, {"session": "x"}, {"session": f"{SESSION}/../status"}):
        response = await client.post(path, data=data)
        assert response.status == 400
        assert response.content_type == "text/plain"
        assert await response.text() == BAD_SESSION
    assert fake_rasa.requests == []


@pytest.mark.parametrize("path", ["/radgivning/sammanfattning", "/radgivning/sammanfattning.pdf"])
async def test_a_summary_with_rasa_down_says_the_chat_cannot_be_reached(aiohttp_client, path):
    client = await aiohttp_client(create_app(Settings(rasa_url=dead_url(), rasa_token=TOKEN)))
    response = await client.post(path, data={"session": SESSION})
    assert response.status == 503
    assert await response.text() == UNREACHABLE


@pytest.mark.parametrize(
    "path", ["/api/checklist", "/radgivning/sammanfattning", "/radgivning/sammanfattning.pdf"]
)
async def test_no_endpoint_takes_a_session_in_its_url(client, fake_rasa, path):
    response = await client.get(f"{path}?session={SESSION}")
    assert response.status == 405
    assert fake_rasa.requests == []
