"""The chat API and pages, through aiohttp_client against a fake Rasa REST channel."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from pathlib import Path

import pytest
from aiohttp import web

from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.web.app import create_app
from bot.web.messages import load_texts, widget_script

SESSION = "a-visitor-session-0123456789"
UNREACHABLE = "Chatten går inte att nå just nu. Försök igen, eller ring 08-681 9223."


class FakeRasa:
    """A REST channel that answers as Rasa does, and remembers what it was sent."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.replies: list[dict] = [
            {"recipient_id": SESSION, "text": "Hej! Vad vill du veta?"},
            {
                "recipient_id": SESSION,
                "text": "Välj ett ämne:",
                "buttons": [{"title": "Kontakt", "payload": "/contact"}],
                "image": "https://example.invalid/ignored.png",
            },
        ]
        self.status = 200
        self.delay = 0.0
        # Requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.most_in_flight = 0

    def app(self) -> web.Application:
        async def webhook(request: web.Request) -> web.Response:
            self.received.append(await request.json())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(self.delay)
            self.in_flight -= 1
            if self.status != 200:
                return web.Response(status=self.status, text="error")
            return web.json_response(self.replies)

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        return app


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def rasa_url(aiohttp_server, fake_rasa) -> str:
    server = await aiohttp_server(fake_rasa.app())
    return str(server.make_url("")).rstrip("/")


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def client(aiohttp_client, rasa_url):
    return await aiohttp_client(create_app(Settings(rasa_url=rasa_url)))


async def post(client, body) -> tuple[int, dict]:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response = await client.post(
        "/api/chat", data=data, headers={"Content-Type": "application/json"}
    )
    return response.status, await response.json()


async def test_a_message_is_forwarded_to_rasa_as_the_session_and_the_replies_come_back(
    client, fake_rasa
):
    status, body = await post(client, {"session": SESSION, "message": "  Vad är ett ASF?  "})
    assert status == 200
    assert fake_rasa.received == [{"sender": SESSION, "message": "Vad är ett ASF?"}]
    assert body == {
        "replies": [
            {"text": "Hej! Vad vill du veta?", "buttons": [], "response": None, "answer": False},
            {
                "text": "Välj ett ämne:",
                "buttons": [{"title": "Kontakt", "payload": "/contact"}],
                "response": None,
                "answer": False,
            },
        ],
        # Rasa did not say: the variant the widget shows (none given: Swedish).
        "lang": "sv",
        "reading": "standard",
    }


async def test_the_conversations_variant_comes_back_as_rasa_tells_it(client, fake_rasa):
    fake_rasa.replies = [
        {
            "recipient_id": SESSION,
            "text": "I will answer in English.",
            "lang": "en",
            "reading": "standard",
        },
        {"recipient_id": SESSION, "text": "Hi!", "lang": "en", "reading": "standard"},
    ]
    body = {"session": SESSION, "message": "/choose_english", "lang": "sv", "reading": "lattlast"}
    status, answer = await post(client, body)
    assert status == 200
    assert (answer["lang"], answer["reading"]) == ("en", "standard")
    # Only what the widget shows goes on, not the variant of each reply.
    assert all(
        set(reply) == {"text", "buttons", "response", "answer"} for reply in answer["replies"]
    )
    assert fake_rasa.received == [{"sender": SESSION, "message": "/choose_english"}]


async def test_a_variant_rasa_does_not_know_is_not_passed_on(client, fake_rasa):
    fake_rasa.replies = [{"recipient_id": SESSION, "text": "Hej", "lang": "de", "reading": "x"}]
    body = {"session": SESSION, "message": "hej", "lang": "en", "reading": "standard"}
    status, answer = await post(client, body)
    assert status == 200
    assert (answer["lang"], answer["reading"]) == ("en", "standard")


@pytest.mark.parametrize(
    ("lang", "reading", "expected"),
    [
        ("en", "standard", "Write a question first."),
        ("en", "lattlast", "Write a question first."),
        ("sv", "lattlast", "Skriv en fråga först."),
        ("sv", "standard", "Skriv en fråga först."),
        ("fr", None, "Skriv en fråga först."),
    ],
)
async def test_a_refusal_is_in_the_variant_the_widget_shows(
    client, fake_rasa, lang, reading, expected
):
    body = {"session": SESSION, "message": "   ", "lang": lang, "reading": reading}
    status, answer = await post(client, body)
    assert status == 422
    assert answer == {"message": expected}
    assert fake_rasa.received == []


async def test_a_message_too_long_is_refused_in_lattlast_with_its_line_breaks(client):
    body = {"session": SESSION, "message": "x" * 2000, "lang": "sv", "reading": "lattlast"}
    status, answer = await post(client, body)
    assert status == 422
    assert answer["message"].startswith("Du skrev för mycket.\nSkriv högst ")


async def test_when_rasa_is_down_the_visitor_is_told_in_english(aiohttp_client):
    client = await aiohttp_client(create_app(Settings(rasa_url=dead_url())))
    body = {"session": SESSION, "message": "what is an asf", "lang": "en", "reading": "standard"}
    status, answer = await post(client, body)
    assert status == 503
    assert answer == {
        "message": "The chat cannot be reached right now. Try again, or call 08-681 9223."
    }


async def test_each_reply_names_its_response_and_only_answers_to_questions_ask_for_a_vote(
    client, fake_rasa
):
    fake_rasa.replies = [
        {"recipient_id": SESSION, "text": "Hej!", "response": "utter_greet"},
        {"recipient_id": SESSION, "text": "Ett ASF driver ...", "response": "utter_what_is_asf"},
        # The channel cuts a text at blank lines: the vote goes under its last part only.
        {"recipient_id": SESSION, "text": "Villkoren:", "response": "utter_conditions"},
        {"recipient_id": SESSION, "text": "• De återinvesterar", "response": "utter_conditions"},
        {
            "recipient_id": SESSION,
            "text": "Jag kan inte hämta de uppgifterna just nu.",
            "response": "utter_contact",
            "condition": [{"type": "slot", "name": "contact_phone", "value": None}],
        },
        {"recipient_id": SESSION, "text": "Vill du att jag skickar din fråga?"},
        {"recipient_id": SESSION, "buttons": [{"title": "Ja", "payload": "/affirm"}]},
    ]
    status, body = await post(client, {"session": SESSION, "message": "Vad är ett ASF?"})
    assert status == 200
    assert [(r["response"], r["answer"]) for r in body["replies"]] == [
        ("utter_greet", False),
        ("utter_what_is_asf", True),
        ("utter_conditions", False),
        ("utter_conditions", True),
        ("utter_contact", False),
        (None, False),
        (None, False),
    ]
    assert all("condition" not in reply for reply in body["replies"])


async def test_an_empty_or_blank_message_gets_a_friendly_answer_and_is_not_forwarded(
    client, fake_rasa
):
    for message in ("", "   \n\t "):
        status, body = await post(client, {"session": SESSION, "message": message})
        assert (status, body["message"]) == (422, "Skriv en fråga först.")
    assert fake_rasa.received == []


async def test_a_too_long_message_is_refused_with_the_limit_named(
    aiohttp_client, rasa_url, fake_rasa
):
    client = await aiohttp_client(create_app(Settings(rasa_url=rasa_url, max_message_length=20)))
    status, body = await post(client, {"session": SESSION, "message": "x" * 21})
    assert status == 422
    assert body["message"] == "Meddelandet är för långt. Skriv högst 20 tecken och försök igen."
    status, _ = await post(client, {"session": SESSION, "message": "x" * 20})
    assert status == 200
    assert len(fake_rasa.received) == 1


def raw_chat(message_json: str) -> bytes:
    """A request body written by hand, so that it can carry what json.dumps never writes."""
    return f'{{"session": "{SESSION}", "message": {message_json}}}'.encode()


@pytest.mark.parametrize(
    ("message_json", "forwarded"),
    [
        (
            r'"Vad \u00e4r ett ASF?\ud800"',
            "Vad är ett ASF?",
        ),  # a lone surrogate, as JSON carries it
        (r'"\udc00Kontakt"', "Kontakt"),
        (r'"hej\u0000d\u00e5"', "hejdå"),
        (r'"\u202eFSA\u202c ett \u00e4r vad\u0007"', "FSA ett är vad"),
        (r'"Vad\tkostar\r\ndet?\u2028"', "Vad kostar\ndet?"),
        (r'"\ud83d\ude00 tack"', "😀 tack"),
        (r'"Sa\u030angsa\u0308ker"', "Sångsäker"),  # decomposed, as macOS types it: NFC
    ],
)
async def test_a_message_is_cleaned_before_it_is_forwarded(
    client, fake_rasa, message_json, forwarded
):
    status, _ = await post(client, raw_chat(message_json))
    assert status == 200
    assert fake_rasa.received == [{"sender": SESSION, "message": forwarded}]


@pytest.mark.parametrize(
    "message_json", [r'"\ud800"', r'"\u0000\u0007"', r'" \u202e \ufeff \ufffe "', r'"\u200b"']
)
async def test_a_message_of_only_unreadable_characters_is_refused_and_not_forwarded(
    client, fake_rasa, message_json
):
    status, body = await post(client, raw_chat(message_json))
    assert status == 422
    assert body["message"] == (
        "Chatten kunde inte läsa tecknen i meddelandet. Skriv din fråga med vanliga bokstäver."
    )
    assert fake_rasa.received == []


async def test_the_length_limit_counts_the_cleaned_text(aiohttp_client, rasa_url, fake_rasa):
    client = await aiohttp_client(create_app(Settings(rasa_url=rasa_url, max_message_length=20)))
    status, _ = await post(client, {"session": SESSION, "message": "x" * 20 + "\u0000" * 10})
    assert status == 200
    assert fake_rasa.received == [{"sender": SESSION, "message": "x" * 20}]
    status, body = await post(client, {"session": SESSION, "message": "x\u0000" * 21})
    assert (status, body["message"]) == (
        422,
        "Meddelandet är för långt. Skriv högst 20 tecken och försök igen.",
    )


async def test_a_body_that_is_not_utf8_gets_a_friendly_400(client, fake_rasa):
    body = b'{"session": "%s", "message": "\xff\xfe hej"}' % SESSION.encode()
    status, answer = await post(client, body)
    assert status == 400
    assert answer["message"] == "Meddelandet kunde inte läsas. Ladda om sidan och försök igen."
    assert fake_rasa.received == []


async def test_a_huge_request_is_refused_before_it_is_read(client, fake_rasa):
    status, body = await post(client, {"session": SESSION, "message": "x" * 100_000})
    assert status == 413
    assert body["message"].startswith("Meddelandet är för långt.")
    assert fake_rasa.received == []


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        '"just a string"',
        json.dumps({"session": SESSION}),
        json.dumps({"session": SESSION, "message": 42}),
    ],
)
async def test_a_request_that_is_not_a_chat_message_gets_a_friendly_400(client, body, fake_rasa):
    status, answer = await post(client, body)
    assert status == 400
    assert answer["message"] == "Meddelandet kunde inte läsas. Ladda om sidan och försök igen."
    assert fake_rasa.received == []


@pytest.mark.parametrize(
    "session", [None, "", "short", "x" * 65, "has spaces in it!!", "../../etc/passwd-123456", 7]
)
async def test_a_malformed_session_id_is_refused(client, session, fake_rasa):
    status, answer = await post(client, {"session": session, "message": "hej"})
    assert status == 400
    assert "Ny konversation" in answer["message"]
    assert fake_rasa.received == []


async def test_a_session_that_sends_too_fast_is_told_to_wait(aiohttp_client, rasa_url, fake_rasa):
    now = [0.0]
    settings = Settings(rasa_url=rasa_url, rate_limit_burst=2, rate_limit_per_minute=6)
    client = await aiohttp_client(create_app(settings, clock=lambda: now[0]))
    assert (await post(client, {"session": SESSION, "message": "ett"}))[0] == 200
    assert (await post(client, {"session": SESSION, "message": "två"}))[0] == 200
    response = await client.post("/api/chat", json={"session": SESSION, "message": "tre"})
    assert response.status == 429
    assert response.headers["Retry-After"] == "10"
    assert (await response.json())["message"].startswith("Du har skickat många meddelanden")
    other = "another-visitor-session-42"
    assert (await post(client, {"session": other, "message": "hej"}))[0] == 200
    now[0] += 10
    assert (await post(client, {"session": SESSION, "message": "tre"}))[0] == 200
    assert [r["message"] for r in fake_rasa.received] == ["ett", "två", "hej", "tre"]


async def test_rasa_down_gives_503_with_the_phone_number_from_the_contacts_file(aiohttp_client):
    client = await aiohttp_client(create_app(Settings(rasa_url=dead_url())))
    status, body = await post(client, {"session": SESSION, "message": "hej"})
    assert (status, body) == (503, {"message": UNREACHABLE})


async def test_the_phone_number_follows_the_contacts_file(aiohttp_client, tmp_path: Path):
    for name in ("calls.yml", "contacts.yml"):
        shutil.copy(PROJECT_ROOT / "content" / name, tmp_path / name)
    contacts = tmp_path / "contacts.yml"
    contacts.write_text(
        contacts.read_text(encoding="utf-8").replace("08-681 9223", "08-000 0000"),
        encoding="utf-8",
    )
    client = await aiohttp_client(create_app(Settings(rasa_url=dead_url(), content_dir=tmp_path)))
    _, body = await post(client, {"session": SESSION, "message": "hej"})
    assert body["message"].endswith("eller ring 08-000 0000.")


async def test_without_a_readable_contacts_file_the_503_still_says_something_useful(
    aiohttp_client, tmp_path
):
    client = await aiohttp_client(create_app(Settings(rasa_url=dead_url(), content_dir=tmp_path)))
    status, body = await post(client, {"session": SESSION, "message": "hej"})
    assert status == 503
    assert body["message"] == "Chatten går inte att nå just nu. Försök igen om en stund."


async def test_rasa_answering_with_nothing_to_show_gives_503_and_a_retry_never_silence(
    client, fake_rasa
):
    # As when an action's server dies mid-message: Rasa goes on and answers nothing.
    fake_rasa.replies = [{"recipient_id": SESSION, "image": "https://example.invalid/x.png"}]
    status, body = await post(client, {"session": SESSION, "message": "Vilka stöd finns?"})
    assert (status, body) == (
        503,
        {"message": "Jag kunde inte svara på det just nu. Försök igen, eller ring 08-681 9223."},
    )
    fake_rasa.replies = []
    status, _ = await post(client, {"session": SESSION, "message": "Vilka stöd finns?"})
    assert status == 503


async def test_rasa_answering_with_an_error_gives_503(client, fake_rasa):
    fake_rasa.status = 500
    assert await post(client, {"session": SESSION, "message": "hej"}) == (
        503,
        {"message": UNREACHABLE},
    )


async def test_rasa_too_slow_gives_503(aiohttp_client, rasa_url, fake_rasa):
    fake_rasa.delay = 1.0
    client = await aiohttp_client(create_app(Settings(rasa_url=rasa_url, rasa_timeout=0.2)))
    assert await post(client, {"session": SESSION, "message": "hej"}) == (
        503,
        {"message": UNREACHABLE},
    )


async def test_messages_beyond_rasa_max_in_flight_wait_their_turn_in_arrival_order(
    aiohttp_client, rasa_url, fake_rasa
):
    fake_rasa.delay = 0.05
    client = await aiohttp_client(create_app(Settings(rasa_url=rasa_url, rasa_max_in_flight=2)))
    sessions = [f"{SESSION}-{number}" for number in range(6)]
    results = []
    for session in sessions:
        results.append(asyncio.create_task(post(client, {"session": session, "message": "hej"})))
        await asyncio.sleep(0.005)  # one after another, while the first are still at Rasa
    assert [status for status, _ in await asyncio.gather(*results)] == [200] * 6
    assert fake_rasa.most_in_flight == 2
    assert [body["sender"] for body in fake_rasa.received] == sessions


async def test_a_message_waiting_for_its_turn_longer_than_rasa_timeout_gets_503(
    aiohttp_client, rasa_url, fake_rasa
):
    fake_rasa.delay = 0.25
    settings = Settings(rasa_url=rasa_url, rasa_timeout=0.3, rasa_max_in_flight=1)
    client = await aiohttp_client(create_app(settings))
    results = []
    for number in range(3):
        body = {"session": f"{SESSION}-{number}", "message": "hej"}
        results.append(asyncio.create_task(post(client, body)))
        await asyncio.sleep(0.01)
    # The wait for Rasa counts towards RASA_TIMEOUT: the visitor is told, not left waiting.
    assert [status for status, _ in await asyncio.gather(*results)] == [200, 503, 503]


async def test_health_answers_ok(client):
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_the_demo_page_embeds_the_widget_with_one_script_tag(client):
    response = await client.get("/")
    assert response.status == 200
    html = await response.text()
    assert html.count("<script") == 1
    assert (
        '<script src="/static/widget.js" data-bot-url="/" data-title="ASF-hjälpen" '
        'data-lang="sv"\n          data-page-lang="follow" defer></script>'
    ) in html
    # The page's <html lang> follows the chat; its own text stays marked as Swedish.
    for element in (
        '<header class="site-header" lang="sv">',
        '<main id="innehall" tabindex="-1" lang="sv">',
    ):
        assert element in html


async def test_the_widget_assets_are_served_the_script_with_its_texts_in_it(client):
    static = PROJECT_ROOT / "bot" / "web" / "static"
    response = await client.get("/static/widget.css")
    assert response.status == 200
    assert "text/css" in response.headers["Content-Type"]
    assert await response.read() == (static / "widget.css").read_bytes()

    response = await client.get("/static/widget.js")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    served = await response.text()
    assert served == widget_script((static / "widget.js").read_text(encoding="utf-8"), load_texts())
    assert '"launcher": "Chat with us"' in served
