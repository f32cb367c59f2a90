"""Reading a REST channel request: any body is a clean message or a bad request."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.run import create_http_input_channels

from bot.domain.text_input import Problem
from bot.nlp.channel import BadRequest, CleanRestInput, Incoming, load_messages, read_request
from bot.runtime.settings import PROJECT_ROOT
from bot.web.messages import load_messages as load_web_messages

LIMIT = 20


def test_credentials_yml_gives_this_channel_named_rest_with_the_configured_limit(monkeypatch):
    monkeypatch.setenv("MAX_MESSAGE_LENGTH", "123")
    [built] = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
    assert isinstance(built, CleanRestInput)
    # Rasa derives the URL from the name: /webhooks/rest/webhook, as before.
    assert built.name() == built.url_prefix() == "rest"
    assert built.max_message_length == 123


def test_the_channel_says_what_the_web_app_says_for_the_same_refusal():
    channel, web = load_messages(), load_web_messages()
    assert (channel.empty, channel.unreadable, channel.too_long) == (
        web.empty,
        web.unreadable,
        web.too_long,
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(exclude_categories=()), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=()), max_size=8), inner, max_size=4
        )
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {"sender": json_values, "message": json_values},
        optional={"metadata": json_values, "input_channel": json_values},
    ).map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {"sender": st.text(max_size=10), "message": st.text(max_size=40)},
        optional={"metadata": st.dictionaries(st.text(max_size=5), st.text(max_size=5))},
    ).map(lambda value: json.dumps(value).encode()),
)


@settings(max_examples=500, derandomize=True)
@given(bodies)
def test_any_body_is_read_as_a_clean_message_or_refused_as_a_bad_request(body):
    try:
        incoming = read_request(body, LIMIT, "rest")
    except BadRequest:
        return
    assert isinstance(incoming, Incoming)
    incoming.text.encode("utf-8")
    json.dumps(incoming.metadata, ensure_ascii=False).encode("utf-8")
    if incoming.sender is not None:
        incoming.sender.encode("utf-8")
    if incoming.problem is None:
        assert 0 < len(incoming.text) <= LIMIT
    else:
        assert incoming.problem in Problem
