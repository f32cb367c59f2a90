"""POST /api/feedback through aiohttp's test client, into a real app database (a SQLite
file, and PostgreSQL when it runs)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, select

from bot.domain.pseudonym import conversation_ref
from bot.runtime.settings import Settings
from bot.storage.migrate import upgrade
from bot.storage.tables import answer_feedback
from bot.web.app import create_app

KEY = "endpoint-test-key"
SESSION = "a-visitor-session-0123456789"
ANSWER = "Qm9vdGhfYW5zd2Vy"
JSON = {"Content-Type": "application/json"}
REFUSED = "Omdömet kunde inte sparas. Ladda om sidan och försök igen."


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def migrated(database_url) -> str:
    upgrade(database_url)
    return database_url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(aiohttp_client, migrated, clock):
    settings = Settings(
        database_url=migrated,
        pseudonym_key=KEY,
        rasa_url="http://127.0.0.1:9",
        rate_limit_burst=5,
        rate_limit_per_minute=6,
    )
    return await aiohttp_client(create_app(settings, clock=clock))


def rows(database_url: str) -> list[dict]:
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            return [dict(r) for r in connection.execute(select(answer_feedback)).mappings()]
    finally:
        engine.dispose()


def ballot(**changes) -> dict:
    return {
        "session": SESSION,
        "answer_id": ANSWER,
        "response": "utter_conditions",
        "vote": "up",
    } | changes


async def post(client, body, headers=JSON):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response = await client.post("/api/feedback", data=data, headers=headers)
    text = await response.text()
    return response.status, (json.loads(text) if text else None)


async def test_a_vote_is_stored_anonymously_and_answered_with_no_content(client, migrated):
    status, body = await post(client, ballot())
    assert (status, body) == (204, None)
    [row] = rows(migrated)
    assert row["conversation_ref"] == conversation_ref(KEY, SESSION)
    assert (row["answer_id"], row["response"], row["vote"]) == (ANSWER, "utter_conditions", "up")
    assert SESSION not in json.dumps(row, default=str)


async def test_a_changed_vote_changes_the_one_stored_row(client, migrated):
    assert (await post(client, ballot(vote="up")))[0] == 204
    assert (await post(client, ballot(vote="down")))[0] == 204
    assert (await post(client, ballot(vote="down")))[0] == 204
    assert [r["vote"] for r in rows(migrated)] == ["down"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "Meddelandet kunde inte läsas. Ladda om sidan och försök igen."),
        ("[1, 2]", 400, "Meddelandet kunde inte läsas. Ladda om sidan och försök igen."),
        (
            ballot(session="short"),
            400,
            "Chatten behöver startas om. Välj ”Ny konversation” och försök igen.",
        ),
        (
            ballot(session=None),
            400,
            "Chatten behöver startas om. Välj ”Ny konversation” och försök igen.",
        ),
        (ballot(response="utter_greet"), 422, REFUSED),
        (ballot(response="utter_made_up"), 422, REFUSED),
        (ballot(vote="sideways"), 422, REFUSED),
        (ballot(answer_id="<script>"), 422, REFUSED),
        (ballot(answer_id="x" * 65), 422, REFUSED),
    ],
)
async def test_what_is_not_a_vote_gets_a_friendly_answer_and_nothing_is_stored(
    client, migrated, body, status, message
):
    assert await post(client, body) == (status, {"message": message})
    assert rows(migrated) == []


async def test_a_request_from_another_site_or_not_as_json_is_refused(client, migrated):
    body = json.dumps(ballot())
    refusal = {"message": "Meddelandet kunde inte läsas. Ladda om sidan och försök igen."}
    # What a form on another site can post: no JSON content type.
    assert await post(client, body, headers={"Content-Type": "text/plain"}) == (403, refusal)
    other = {**JSON, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert await post(client, body, headers=other) == (403, refusal)
    assert await post(client, body, headers={**JSON, "Origin": "https://evil.example"}) == (
        403,
        refusal,
    )
    assert rows(migrated) == []
    # The widget on this site's own pages.
    host = client.make_url("").host + ":" + str(client.make_url("").port)
    own = {**JSON, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    assert (await post(client, body, headers=own))[0] == 204
    assert len(rows(migrated)) == 1


async def test_votes_are_rate_limited_per_session_apart_from_its_messages(client, clock):
    for _ in range(5):
        assert (await post(client, ballot()))[0] == 204
    response = await client.post("/api/feedback", data=json.dumps(ballot()), headers=JSON)
    assert response.status == 429
    assert response.headers["Retry-After"] == "10"
    assert (await response.json())["message"].startswith("Du har skickat många meddelanden")
    # Another session votes as before.
    assert (await post(client, ballot(session="another-visitor-0123456789")))[0] == 204
    clock.now += 10
    assert (await post(client, ballot()))[0] == 204


async def test_when_the_database_cannot_store_the_vote_the_visitor_is_told(
    aiohttp_client, tmp_path
):
    # A database file that has no tables: the insert fails as a lost database would.
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", pseudonym_key=KEY)
    client = await aiohttp_client(create_app(settings))
    status, body = await post(client, ballot())
    assert (status, body) == (
        503,
        {"message": "Omdömet kunde inte sparas just nu. Försök igen om en stund."},
    )


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ({"lang": "en", "reading": "standard"}, "Your rating could not be saved. Reload"),
        ({"lang": "sv", "reading": "lattlast"}, "Vi kunde inte spara ditt svar.\nLadda om"),
        ({"lang": "sv", "reading": "standard"}, REFUSED),
    ],
)
async def test_a_refused_vote_is_answered_in_the_variant_the_widget_shows(
    client, migrated, variant, expected
):
    status, body = await post(client, ballot(vote="maybe", **variant))
    assert status == 422
    assert body["message"].startswith(expected)
    assert rows(migrated) == []
