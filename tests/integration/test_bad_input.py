"""Any text, through either door of the running bot: an answer or a clear refusal, always.

A lone UTF-16 surrogate ("\\ud800" in JSON) once made Rasa's pipeline raise and the
visitor see "cannot be reached"; one in the sender made Rasa's server exit. Here the whole
bot runs as `make run` starts it, and arbitrary Unicode (surrogates, control characters,
invisible formatting included) goes through the web app's chat API and straight to Rasa's
REST channel. Every message gets the bot's reply or a refusal the visitor can act on, never
a 5xx, never silence; afterwards no server has logged a traceback.
"""

from __future__ import annotations

import itertools
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.nlp.channel import load_messages as load_channel_messages
from bot.runtime.launcher import LaunchConfig
from bot.runtime.settings import PROJECT_ROOT
from bot.web.messages import load_messages as load_web_messages
from tests.conftest import running_bot

TOKEN = "bad-input-token"
MAX_LENGTH = 40
WEB = load_web_messages()
CHANNEL = load_channel_messages()
WEB_REFUSALS = {WEB.empty, WEB.unreadable, WEB.too_long.format(max_length=MAX_LENGTH)}
CHANNEL_REFUSALS = {
    CHANNEL.empty,
    CHANNEL.unreadable,
    CHANNEL.too_long.format(max_length=MAX_LENGTH),
}
# Hypothesis runs the same examples every time (CI is repeatable), without a deadline:
# the bot answers in its own time on a shared machine.
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None)

# What a browser's JSON.stringify and other clients send that json.dumps never writes.
ESCAPES = [
    "\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud83d", "\\ude00", "\\ud83d\\ude00",
    "\\u0000", "\\u0007", "\\u001b", "\\u007f", "\\u0085", "\\u009f", "\\u202e", "\\u2066",
    "\\u200b", "\\ufeff", "\\ufffe", "\\uffff", "\\n", "\\t", "\\r", "\\\\", '\\"', "\\/",
    "hej", "Vad \\u00e4r ett ASF?", " ", "å", "ä", "ö", "😀",
]  # fmt: skip
characters = st.one_of(
    st.characters(exclude_categories=()),  # every category, surrogates included
    st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Co", "Cn"]),
    st.sampled_from("åäöÅÄÖ ?!.,-/"),
)
# Joined from a list: st.text(one_of(...)) would merge the alphabets and drop surrogates.
texts = st.lists(characters, max_size=2 * MAX_LENGTH).map("".join)
# A message as raw JSON string content: escapes that json.dumps never writes.
escaped = st.lists(st.sampled_from(ESCAPES), max_size=12).map("".join)
# Anything at all, for Rasa's door: the web app sends only JSON it wrote itself.
raw_bodies = st.one_of(
    st.binary(max_size=120),
    escaped.map(lambda message: f'{{"sender": "bad-input-raw", "message": "{message}"}}'.encode()),
    escaped.map(lambda sender: f'{{"sender": "{sender}", "message": "hej"}}'.encode()),
    escaped.map(lambda value: f'{{"message": "hej", "metadata": {{"k": "{value}"}}}}'.encode()),
)

_sessions = itertools.count()


def session_id() -> str:
    # A conversation of its own for each example, as the widget's id looks.
    return f"bad-input-visitor-{next(_sessions):06d}"


@contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Point this process's stdout and stderr at `path` while the servers start, so that
    each child process inherits it as its own output, its log."""
    with path.open("ab") as log:
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            yield
        finally:
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory) -> Iterator[tuple[LaunchConfig, Path]]:
    """The whole bot, its servers' output in one log file."""
    var_dir = tmp_path_factory.mktemp("var")
    log = var_dir / "servers.log"
    env = {
        "MAX_MESSAGE_LENGTH": str(MAX_LENGTH),
        # Hundreds of messages in a minute, from a new conversation each.
        "RATE_LIMIT_BURST": "100000",
        "RATE_LIMIT_PER_MINUTE": "100000",
        "ASF_CONTENT_DIR": str(PROJECT_ROOT / "content"),
        "ASF_ENV": "development",
        # Staff mail (a random text might end in a question for staff) goes to the local
        # sink under var_dir, never to a relay configured outside the test.
        "SMTP_HOST": "",
        "LOG_LEVEL": "DEBUG",
        # Each line reaches the log as it is written, traceback included.
        "PYTHONUNBUFFERED": "1",
    }
    with ExitStack() as stack:
        with output_to(log):
            supervisor = stack.enter_context(running_bot(trained_model, var_dir, TOKEN, env))
        yield supervisor.config, log


def post(url: str, body: bytes) -> tuple[int, object]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def assert_answered_by_the_web_app(config: LaunchConfig, body: bytes) -> None:
    status, answer = post(f"{config.web_url}/api/chat", body)
    assert isinstance(answer, dict)
    if status == 200:
        replies = answer["replies"]
        assert replies, "the bot said nothing"
        assert all(reply["text"] or reply["buttons"] for reply in replies)
    else:
        assert (status, answer["message"] in WEB_REFUSALS) == (422, True), answer


@PROPERTY
@given(texts)
@example("\ud800")
@example("Vad är ett ASF?\udc00\x00\u202e")
@example("\x00\x07\ufeff")
@example("   \n\t ")
@example("x" * (MAX_LENGTH + 1))
def test_any_text_through_the_web_app_gets_an_answer_or_a_clear_refusal(bot, text):
    config, _ = bot
    body = json.dumps({"session": session_id(), "message": text}).encode()
    assert_answered_by_the_web_app(config, body)


@PROPERTY
@given(escaped)
@example("\\ud800")
@example("Vad \\u00e4r ett ASF?\\udfff")
@example("\\u0000\\ufffe")
def test_raw_json_escapes_through_the_web_app_get_an_answer_or_a_clear_refusal(bot, message):
    config, _ = bot
    body = f'{{"session": "{session_id()}", "message": "{message}"}}'.encode()
    assert_answered_by_the_web_app(config, body)


def assert_answered_by_rasa(config: LaunchConfig, body: bytes) -> None:
    status, answer = post(f"{config.rasa_url}/webhooks/rest/webhook", body)
    if status == 200:
        assert isinstance(answer, list)
        assert answer, "the bot said nothing"
        assert all(reply.get("text") or reply.get("buttons") for reply in answer)
    else:
        assert status in (400, 413), (status, answer)
        assert isinstance(answer, dict)
        assert answer["message"] in {CHANNEL.bad_request, *CHANNEL_REFUSALS}


@PROPERTY
@given(texts)
@example("\ud800")
@example("hej\x00\u202e\ufffe")
def test_any_text_straight_to_rasas_rest_channel_gets_an_answer_or_a_clear_refusal(bot, text):
    config, _ = bot
    body = json.dumps({"sender": session_id(), "message": text}).encode()
    assert_answered_by_rasa(config, body)


@PROPERTY
@given(raw_bodies)
@example(b'{"sender": "a", "message": "\\ud800"}')
@example(b'{"sender": "\\ud800", "message": "hej"}')  # this one made Rasa's server exit
@example(b'{"sender": "a\\u0000", "message": "hej"}')
@example(b'{"sender": "a", "message": "\xff\xfe"}')
@example(b"null")
@example(b'{"sender": "a"}')
@example(b'{"sender": "a", "message": 42}')
@example(b"")
def test_any_body_straight_to_rasas_rest_channel_gets_an_answer_or_a_clear_refusal(bot, body):
    config, _ = bot
    assert_answered_by_rasa(config, body)


def test_the_servers_logged_no_traceback(bot):
    config, log = bot
    # Still answering: no input above stopped a server.
    assert_answered_by_rasa(config, b'{"sender": "last-one", "message": "Vad \\u00e4r ett ASF?"}')
    text = log.read_text(encoding="utf-8", errors="replace")
    # The log is the servers' DEBUG output: Rasa logged each message it parsed.
    assert text.count('"event": "processor.message.parse"') > 100
    for sign in (
        "Traceback",
        "GraphComponentException",
        "--- Logging error ---",
        "rest.message.received.failure",
        "failed to handle a message",
    ):
        assert sign not in text, sign
