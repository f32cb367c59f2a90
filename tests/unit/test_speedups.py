"""The Rasa server's speedups change nothing that Rasa checks or builds."""

from __future__ import annotations

import ast
import inspect
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from rasa.core import processor
from rasa.core.actions.action import RemoteAction
from rasa.core.policies import memoization, rule_policy
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


def every_kind_of_event() -> list[dict]:
    from rasa.shared.core import events

    made = [
        events.UserUttered("hej", {"name": "greet", "confidence": 0.9}, [], message_id="1"),
        events.BotUttered("Hej!", {"buttons": []}),
        events.ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0),
        events.SlotSet("language", "en"),
        events.ActiveLoop("checklist_form"),
        events.ActiveLoop(None),
        events.FollowupAction("action_listen"),
        events.Restarted(),
        events.AllSlotsReset(),
        events.ReminderScheduled("remind", events.datetime.now(), name="r"),
        events.ReminderCancelled(name="r"),
        events.ActionReverted(),
        events.UserUtteranceReverted(),
        events.StoryExported(),
        events.ConversationPaused(),
        events.ConversationResumed(),
        events.AgentUttered("hej"),
        events.LoopInterrupted(True),
        events.ActionExecutionRejected("checklist_form"),
        events.SessionStarted(),
        events.EntitiesAdded([{"entity": "criterion", "value": "vinst"}]),
        events.DefinePrevUserUtteredFeaturization(False),
    ]
    return [event.as_dict() for event in made]


def test_every_kind_of_event_rasa_makes_passes_the_fast_check():
    for event in every_kind_of_event():
        assert speedups.is_valid_action_result({"events": [event], "responses": []}), event


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def altered_responses(draw) -> dict:
    """An action server response whose events Rasa made and then lost or changed fields."""
    events = []
    for event in draw(st.lists(st.sampled_from(every_kind_of_event()), min_size=1, max_size=3)):
        event = dict(event)
        for key in draw(st.lists(st.sampled_from([*event, "event", "name", "value"]), max_size=3)):
            if draw(st.booleans()):
                event.pop(key, None)
            else:
                event[key] = draw(
                    json_values | st.sampled_from(["slot", "user", "action", "bot", "active_loop"])
                )
        events.append(event)
    return {"events": events, "responses": draw(st.lists(json_values, max_size=2))}


@settings(max_examples=400, deadline=None)
@given(altered_responses())
def test_the_fast_check_decides_as_rasas_schema_does(response):
    full = speedups.action_response_validator().is_valid(response)
    assert speedups.is_valid_action_result(response) == full


def deepcopy_calls(module) -> list[tuple[ast.Call, list[ast.AST]]]:
    """Every `copy.<name>(...)` call in a module's source, with the calls around it."""
    found = []

    def visit(node: ast.AST, outer: list[ast.AST]) -> None:
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "copy":
            found.append((node, list(outer)))
        inner = [*outer, node] if isinstance(node, ast.Call) else outer
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(inspect.getsource(module)), [])
    return found


@pytest.mark.parametrize("module", [memoization, rule_policy, processor])
def test_rasa_deep_copies_only_for_debug_log_lines_where_the_copy_is_skipped(module):
    uses = deepcopy_calls(module)
    assert uses
    for attribute, calls in uses:
        assert attribute.attr == "deepcopy", ast.unparse(attribute)
        outer = [ast.unparse(call.func) for call in calls]
        assert "structlogger.debug" in outer, f"{module.__name__}: {ast.unparse(calls[-1])}"
    assert module.copy is speedups.DebugLogCopy


def test_a_debug_log_line_gets_a_copy_only_when_debug_lines_are_logged():
    states = [{"user": {"intent": "greet"}}]
    rasa_logger = logging.getLogger("rasa")
    level = rasa_logger.level
    try:
        rasa_logger.setLevel(logging.INFO)
        assert speedups.DebugLogCopy.deepcopy(states) is states
        rasa_logger.setLevel(logging.DEBUG)
        copied = speedups.DebugLogCopy.deepcopy(states)
    finally:
        rasa_logger.setLevel(level)
    assert copied == states
    assert copied[0]["user"] is not states[0]["user"]
