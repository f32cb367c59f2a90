"""The Rasa server's speedups change nothing that Rasa checks or builds."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.nlp import speedups


@pytest.fixture(scope="module", autouse=True)
def installed():
    speedups.install()
    speedups.install()
    yield
    speedups.uninstall()


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_load_contact", EndpointConfig("http://localhost:5055/webhook"))


def test_a_valid_action_server_response_is_accepted(action):
    response = {
        "events": [{"event": "slot", "name": "contact_name", "value": "Eva Carlsson"}],
        "responses": [{"text": "Hej", "buttons": []}],
    }
    assert action._validate_action_result(response) is True


@pytest.mark.parametrize(
    "response",
    [
        {"events": [{"name": "no event type"}], "responses": []},
        {"events": "not a list", "responses": []},
        {"events": [{"event": "slot", "timestamp": "yesterday"}], "responses": []},
    ],
)
def test_an_invalid_action_server_response_is_rejected_with_rasas_message(action, response):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(response)


def test_events_are_built_from_json_as_before():
    user = {"event": "user", "text": "hej", "parse_data": {"intent": {"name": "greet"}}}
    assert Event.from_parameters(user) == UserUttered("hej", {"name": "greet"})
    assert Event.from_parameters({"event": "action", "name": "x"}) == ActionExecuted("x")
    assert Event.from_parameters({"event": "slot", "name": "a", "value": 1}) == SlotSet("a", 1)


def test_an_unknown_event_name_gives_the_callers_default_or_an_error():
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    # The default given once is not remembered for the name.
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
