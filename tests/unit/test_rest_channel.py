"""Rasa's REST channel as credentials.yml configures it: any body, and no exception."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio
from rasa.core.channels.channel import UserMessage, register
from rasa.shared.core.events import SlotSet
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.domain.variants import Variant
from bot.nlp.channel import (
    MAX_BODY_BYTES,
    CleanRestInput,
    ConversationVariant,
    load_all_messages,
    load_messages,
)
from tests.conftest import free_port

# Every test talks to the one server below, on the module's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

LIMIT = 20
BAD_REQUEST = "Meddelandet kunde inte läsas."
EMPTY = "Skriv en fråga först."
UNREADABLE = "Chatten kunde inte läsa tecknen i meddelandet. Skriv din fråga med vanliga bokstäver."
TOO_LONG = "Meddelandet är för långt. Skriv högst 20 tecken och försök igen."


class FakeTrackerStore:
    """Stands in for Rasa's tracker store: the conversations it knows, by sender."""

    def __init__(self) -> None:
        self.trackers: dict[str, DialogueStateTracker] = {}
        self.error: Exception | None = None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if self.error:
            raise self.error
        return self.trackers.get(sender_id)


class FakeAgent:
    """Stands in for Rasa's agent: remembers each message and answers it, or fails."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []
        self.error: Exception | None = None
        # When set, the answer is sent as Rasa sends a domain response: with its name.
        self.response: str | None = None
        # When set, told to the collector as Rasa's processor tells it after predicting.
        self.variant: ConversationVariant | None = None
        self.tracker_store = FakeTrackerStore()

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.error:
            raise self.error
        if self.variant:
            message.output_channel.variant = self.variant
        if self.response:
            await message.output_channel.send_response(
                message.sender_id,
                {"text": f"Svar: {message.text}", "utter_action": self.response, "buttons": None},
            )
            return
        await message.output_channel.send_text_message(message.sender_id, f"Svar: {message.text}")


@dataclass
class Channel:
    url: str
    agent: FakeAgent
    http: aiohttp.ClientSession

    async def post(self, body: bytes, query: str = "") -> tuple[int, object]:
        async with self.http.post(f"{self.url}/webhook{query}", data=body) as response:
            return response.status, json.loads(await response.read())

    def texts(self) -> list[str]:
        return [message.text for message in self.agent.received]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[tuple[str, FakeAgent]]:
    """The channel registered on a real Sanic server as `rasa run` registers it.

    One for the module: Sanic 21.12 rewrites its own methods when the first app starts
    and cannot start a second app in the same process."""
    app = Sanic(f"test_rest_channel_{uuid.uuid4().hex}")
    app.ctx.agent = FakeAgent()
    variants = load_all_messages()
    register([CleanRestInput(LIMIT, load_messages(), variants)], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    await server.before_start()
    await server.after_start()
    yield f"http://127.0.0.1:{port}/webhooks/rest", app.ctx.agent
    await server.before_stop()
    await server.close()
    await server.after_stop()


@pytest_asyncio.fixture(loop_scope="module")
async def channel(server) -> AsyncIterator[Channel]:
    url, agent = server
    agent.received.clear()
    agent.error = None
    agent.response = None
    agent.variant = None
    agent.tracker_store = FakeTrackerStore()
    async with aiohttp.ClientSession() as http:
        yield Channel(url, agent, http)


async def test_the_url_and_the_health_route_stay_as_rasa_has_them(channel):
    async with channel.http.get(f"{channel.url}/") as response:
        assert (response.status, await response.json()) == (200, {"status": "ok"})
    status, replies = await channel.post(b'{"sender": "anna", "message": "Vad \\u00e4r ett ASF?"}')
    assert (status, replies) == (200, [{"recipient_id": "anna", "text": "Svar: Vad är ett ASF?"}])


async def test_each_reply_keeps_the_name_of_the_response_it_came_from(channel):
    channel.agent.response = "utter_what_is_asf"
    status, replies = await channel.post(b'{"sender": "anna", "message": "Vad \\u00e4r ett ASF?"}')
    assert (status, replies) == (
        200,
        [
            {
                "recipient_id": "anna",
                "text": "Svar: Vad är ett ASF?",
                "response": "utter_what_is_asf",
            }
        ],
    )


async def test_each_reply_tells_the_conversations_variant(channel):
    channel.agent.variant = ConversationVariant("en", "standard")
    channel.agent.response = "utter_what_is_asf"
    status, replies = await channel.post(b'{"sender": "anna", "message": "what is an asf"}')
    assert (status, replies) == (
        200,
        [
            {
                "recipient_id": "anna",
                "text": "Svar: what is an asf",
                "response": "utter_what_is_asf",
                "lang": "en",
                "reading": "standard",
            }
        ],
    )


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b'{"sender": "a", "message": "hej\\ud800"}', "hej"),
        (b'{"sender": "a", "message": "\\udfff\\u0000Kontakt\\u0007"}', "Kontakt"),
        (b'{"sender": "a", "message": "\\u202eFSA\\u202c\\t\\ufeffett  ASF"}', "FSA ett ASF"),
        (b'{"sender": "a", "message": "Sa\\u030angsa\\u0308ker"}', "Sångsäker"),
        (b'{"sender": "a", "message": "/greet"}', "/greet"),
        (b'{"sender": "a", "message": " rad ett \\r\\n\\trad tv\\u00e5"}', "rad ett\nrad två"),
    ],
)
async def test_the_text_is_cleaned_before_it_reaches_the_bot(channel, body, text):
    status, _ = await channel.post(body)
    assert status == 200
    assert channel.texts() == [text]


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("", EMPTY),
        (" \\n\\t ", EMPTY),
        ("\\ud800", UNREADABLE),
        ("\\u0000\\u202e\\ufffe", UNREADABLE),
        ("x" * (LIMIT + 1), TOO_LONG),
        ("x" * 10_000, TOO_LONG),
    ],
)
async def test_a_message_the_bot_cannot_take_gets_a_friendly_reply_and_never_reaches_it(
    channel, message, reply
):
    body = f'{{"sender": "anna", "message": "{message}"}}'.encode()
    status, replies = await channel.post(body)
    swedish = {"lang": "sv", "reading": "standard"}
    assert (status, replies) == (200, [{"recipient_id": "anna", "text": reply, **swedish}])
    assert channel.agent.received == []


def conversation(sender: str, **slots: str) -> DialogueStateTracker:
    known = [AnySlot(name, []) for name in ("language", "reading_mode")]
    tracker = DialogueStateTracker(sender, known)
    for name, value in slots.items():
        tracker.update(SlotSet(name, value))
    return tracker


@pytest.mark.parametrize(
    ("slots", "reply", "told"),
    [
        ({"language": "en"}, "Write a question first.", ("en", "standard")),
        ({"language": "sv", "reading_mode": "lattlast"}, EMPTY, ("sv", "lattlast")),
        ({}, EMPTY, ("sv", "standard")),
    ],
)
async def test_a_refusal_is_in_the_conversations_variant_and_tells_it(channel, slots, reply, told):
    channel.agent.tracker_store.trackers["anna"] = conversation("anna", **slots)
    status, replies = await channel.post(b'{"sender": "anna", "message": "  "}')
    assert status == 200
    assert replies == [{"recipient_id": "anna", "text": reply, "lang": told[0], "reading": told[1]}]


async def test_a_lattlast_refusal_keeps_its_line_breaks(channel):
    channel.agent.tracker_store.trackers["anna"] = conversation(
        "anna", language="sv", reading_mode="lattlast"
    )
    _, replies = await channel.post(json.dumps({"sender": "anna", "message": "x" * 50}).encode())
    assert replies[0]["text"] == "Du skrev för mycket.\nSkriv högst 20 tecken.\nFörsök sedan igen."


async def test_a_tracker_store_that_fails_leaves_the_refusal_in_swedish(channel):
    channel.agent.tracker_store.error = RuntimeError("database away")
    status, replies = await channel.post(b'{"sender": "anna", "message": ""}')
    assert (status, replies[0]["text"], replies[0]["lang"]) == (200, EMPTY, "sv")


async def test_every_channel_message_is_there_in_every_variant(tmp_path):
    variants = load_all_messages()
    assert variants[Variant.EN].empty == "Write a question first."
    path = tmp_path / "channel_messages.yml"
    path.write_text("empty:\n  sv: Skriv en fråga först.\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"empty \(en\)"):
        load_all_messages(path)


async def test_the_length_limit_counts_the_cleaned_text(channel):
    body = json.dumps({"sender": "anna", "message": "x" * LIMIT + "\u0000" * 10}).encode()
    assert (await channel.post(body))[0] == 200
    assert channel.texts() == ["x" * LIMIT]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"\xff\xfe",  # not UTF-8
        b'{"sender": "a", "message": "\xff"}',
        b"null",
        b"[1, 2]",
        b'"a string"',
        b"42",
        pytest.param(b"[" * 5000 + b"]" * 5000, id="nested deeper than the parser recurses"),
        b'{"sender": "a"}',
        b'{"sender": "a", "message": null}',
        b'{"sender": "a", "message": 42}',
        b'{"sender": "a", "message": ["hej"]}',
        b'{"sender": "a", "message": {"text": "hej"}}',
        b'{"sender": "\\ud800", "message": "hej"}',  # this one made Rasa's server exit
        b'{"sender": "a\\u0000", "message": "hej"}',
        b'{"sender": "", "message": "hej"}',
        b'{"sender": 42, "message": "hej"}',
        pytest.param(b'{"sender": "' + b"x" * 256 + b'", "message": "hej"}', id="long sender"),
        b'{"sender": "a", "message": "hej", "input_channel": "\\udc00"}',
        b'{"sender": "a", "message": "hej", "metadata": "text"}',
        b'{"sender": "a", "message": "hej", "metadata": [1]}',
        pytest.param(
            b'{"message": "hej", "metadata": ' + b'{"a": ' * 600 + b"1" + b"}" * 601,
            id="metadata nested deeper than cleaning recurses",
        ),
        pytest.param(
            b'{"sender": "a", "message": ' + b"9" * 5000 + b"}",
            id="past the int digits limit",
        ),
    ],
)
async def test_a_body_that_is_not_a_message_gets_a_400_and_never_reaches_the_bot(channel, body):
    status, answer = await channel.post(body)
    assert (status, answer) == (400, {"message": BAD_REQUEST})
    assert channel.agent.received == []


async def test_a_body_too_large_to_be_a_message_is_refused_unread(channel):
    body = json.dumps({"sender": "a", "message": "x" * MAX_BODY_BYTES}).encode()
    status, answer = await channel.post(body)
    assert (status, answer) == (413, {"message": TOO_LONG})
    assert channel.agent.received == []


async def test_without_a_sender_the_message_goes_to_rasas_default_conversation(channel):
    status, replies = await channel.post(b'{"message": "hej"}')
    assert (status, replies) == (200, [{"recipient_id": "default", "text": "Svar: hej"}])


async def test_strings_in_the_metadata_are_cleaned_too(channel):
    metadata = b'{"k\\ud800": ["v\\u0000", 1, {"x": "\\u202e"}]}'
    body = b'{"sender": "a", "message": "hej", "metadata": ' + metadata + b"}"
    assert (await channel.post(body))[0] == 200
    [message] = channel.agent.received
    assert message.metadata == {"k": ["v", 1, {"x": ""}]}
    assert message.input_channel == "rest"


async def test_a_failure_in_the_bot_is_logged_and_answered_with_a_500_not_silence(channel, caplog):
    channel.agent.error = RuntimeError("boom")
    with caplog.at_level(logging.ERROR, logger="bot.nlp.channel"):
        status, answer = await channel.post(b'{"sender": "a", "message": "hej anna@exempel.se"}')
    assert (status, answer) == (500, {"message": load_messages().failed})
    assert "failed to handle a message" in caplog.text
    assert "anna@exempel.se" not in caplog.text


async def test_streamed_answers_get_the_cleaned_text_too(channel):
    async with channel.http.post(
        f"{channel.url}/webhook?stream=true",
        data=b'{"sender": "a", "message": "hej\\ud800 d\\u00e5"}',
    ) as response:
        assert response.status == 200
        lines = (await response.text()).splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["Svar: hej då"]
