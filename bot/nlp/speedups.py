"""Two per-message costs of the Rasa 3.6 server that buy nothing, removed.

Profiled under load (py-spy on the Rasa server, `make bench`'s messages), half of the
server's CPU time went to `RemoteAction._validate_action_result`: `jsonschema.validate`
checks the schema itself against the JSON Schema meta-schema on every call, before it
checks the action server's response. The schema is a constant, so here it is checked
once and its validator reused; every response is still validated, with the same errors.

Another 5 % went to `Event.resolve_by_type`, which walks every subclass of Event for
each event it turns from JSON into an object (tracker store, action responses); here the
class found for an event name is remembered.

Measured again after those two, three more costs went the same way:

- RulePolicy's rule lookup (a fifth of the server's CPU): for each prediction Rasa checks
  every rule against every turn of the conversation, back to its start, and turns each
  rule's stored JSON into a reversed list of states at each check. Rules are a few turns
  long; once a conversation is checked further back than the longest rule left, every
  rule left applies (Rasa's own rule), so here the check stops there, and each rule's
  reversed states are made once.
- The graph runner works out the same minimal graph for the same targets on every
  message; here it is worked out once per graph and target list.
- The tracker store's redaction ran three regular expressions over every string of
  every event it writes (intent names, action names, ranking entries); here a string with
  neither "@" nor a digit, which none of them can match, is returned as it is
  (bot/domain/redaction.py).

And after those, four more:

- The policies' past states (a fifth of the CPU): the conversation is replayed once per
  message and continued at its next predictions, not three times at every prediction
  from the conversation's start (bot/nlp/prediction_states.py).
- Before each action the tracker was copied by replaying the whole conversation; here
  the copy takes the tracker's state as it is (bot/nlp/tracker_copy.py).
- The form validators (`send_domain: true` in domain.yml) were sent the whole domain,
  54 kB of JSON with every response text in three variants, on every call; rasa_sdk
  reads only its slots and forms, so here only those are sent.
- Rasa's policies and message processor deep-copy the conversation's states and events
  for debug log lines on every prediction, also when debug logging is off and the log
  line is dropped; here the copy is made only when the rasa logger logs debug lines.

`install()` is called by `python -m bot.runtime.rasa_server` before Rasa starts; nothing changes
what the bot answers.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core import processor
from rasa.core.actions.action import RemoteAction
from rasa.core.policies import memoization, rule_policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import GraphSchema
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME

from bot.nlp import prediction_states, tracker_copy

_original_resolve_by_type = Event.resolve_by_type
_original_action_call_format = RemoteAction._action_call_format
_original_minimal_graph_schema = GraphSchema.minimal_graph_schema
_event_classes: dict[str, type[Event]] = {}


@lru_cache(maxsize=1)
def action_response_validator() -> Validator:
    """The validator of action server responses, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def event_validators() -> tuple[Validator, dict[str, list[Validator]]] | None:
    """The response schema without its check of each event against every event kind, and
    each kind's own schemas by the event name they require; None if the schema's event
    kinds cannot be told apart by name.

    Rasa's schema requires every event to match exactly one of some twenty kinds
    (`oneOf`), each fixing the event's name (`"event": {"const": ...}`); jsonschema tries
    all of them for every event. An event can only match a kind of its own name, so
    checking the kinds of that name alone decides the same.
    """
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    items = schema.get("properties", {}).get("events", {}).get("items", {})
    kinds: dict[str, list[Validator]] = {}
    cls = validator_for(schema)
    for kind in items.pop("oneOf", None) or []:
        name = kind.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str):
            return None
        kinds.setdefault(name, []).append(cls(kind))
    if not kinds:
        return None
    return cls(schema), kinds


def is_valid_action_result(result: dict[str, Any]) -> bool:
    """True when the response certainly passes Rasa's schema, checked the fast way."""
    validators = event_validators()
    if validators is None or not validators[0].is_valid(result):
        return False
    kinds = validators[1]
    for event in result.get("events") or []:
        matching = [v for v in kinds.get(event["event"], ()) if v.is_valid(event)]
        if len(matching) != 1:
            return False
    return True


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """What Rasa's `_validate_action_result` does, without re-checking the schema.

    A response that passes the fast check (`is_valid_action_result`) is valid; any
    other goes through the whole schema, which gives Rasa's own error.
    """
    if is_valid_action_result(result):
        return True
    error = best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        "from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa's `Event.resolve_by_type`, remembering each event class it finds."""
    found = _event_classes.get(type_name)
    if found is not None:
        return found
    found = _original_resolve_by_type(type_name, default)
    # Only a class that carries the name is remembered, never a caller's default.
    if found is not None and found.type_name == type_name:
        _event_classes[type_name] = found
    return found


@cache
def reversed_rule_states(rule_key: str) -> tuple[State, ...]:
    """A rule's states, last turn first, from the JSON key RulePolicy stores it under."""
    return tuple(reversed(json.loads(rule_key)))


def is_rule_applicable(
    self: RulePolicy, rule_key: str, turn_index: int, conversation_state: State
) -> bool:
    """Rasa's `RulePolicy._is_rule_applicable`, with the rule's states made once."""
    rule_states = reversed_rule_states(rule_key)
    # Checked further back than the rule is long: the rule applies.
    if turn_index >= len(rule_states):
        return True
    rule_state = rule_states[turn_index]
    current_previous_action = conversation_state.get(PREVIOUS_ACTION)
    rule_previous_action = rule_state.get(PREVIOUS_ACTION)
    # Both are conversation starts: the rule applies; only one is: it does not.
    if not rule_previous_action and not current_previous_action:
        return True
    if not rule_previous_action or not current_previous_action:
        return False
    return self._does_rule_match_state(rule_state, conversation_state)


def get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[State]) -> set[str]:
    """Rasa's `RulePolicy._get_possible_keys`: the rules that apply to every turn.

    Only rules whose last turn follows the conversation's last action are checked (the
    others fail on that turn), and turns further back than the longest rule left, which
    cannot remove a rule, are not checked.
    """
    possible: Iterable[str] = lookup.keys()
    for turn_index, state in enumerate(reversed(states)):
        if turn_index == 0:
            possible = _rules_after(lookup, state)
        possible = [key for key in possible if is_rule_applicable(self, key, turn_index, state)]
        if not possible or turn_index + 1 >= max(map(_rule_length, possible)):
            break
    return set(possible)


def _rule_length(rule_key: str) -> int:
    return len(reversed_rule_states(rule_key))


_rule_indexes: dict[int, tuple[dict[str, str], dict[str | None, list[str]]]] = {}


def _rules_after(lookup: dict[str, str], state: State) -> list[str]:
    """The rules of `lookup` that can apply after the action that ended `state`.

    A rule whose last turn names another previous action fails on that turn
    (`is_rule_applicable`); every other rule (no previous action named) stays a candidate.
    """
    entry = _rule_indexes.get(id(lookup))
    if entry is None or entry[0] is not lookup:
        by_action: dict[str | None, list[str]] = {}
        for key in lookup:
            by_action.setdefault(_last_action(key), []).append(key)
        entry = _rule_indexes[id(lookup)] = (lookup, by_action)
    by_action = entry[1]
    action = (state.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    named = by_action.get(action, []) if action is not None else []
    return named + by_action.get(None, [])


def _last_action(rule_key: str) -> str | None:
    """The previous action a rule's last turn requires by name, or None."""
    states = reversed_rule_states(rule_key)
    action = (states[0].get(PREVIOUS_ACTION) or {}).get(ACTION_NAME) if states else None
    if not isinstance(action, str) or not action or action == SHOULD_NOT_BE_SET:
        return None
    return action


def minimal_graph_schema(self: GraphSchema, targets: list[str] | None = None) -> GraphSchema:
    """Rasa's `GraphSchema.minimal_graph_schema`, worked out once per graph and targets.

    A loaded model's graph does not change, so the schema for the same targets is the same.
    """
    cache: dict[tuple[str, ...] | None, GraphSchema] = self.__dict__.setdefault(
        "_minimal_schemas", {}
    )
    key = tuple(targets) if targets else None
    found = cache.get(key)
    if found is None:
        found = cache[key] = _original_minimal_graph_schema(self, targets)
    return found


# What rasa_sdk reads of the domain: form validators their forms' required slots and the
# slots' mappings (rasa_sdk.forms, rasa_sdk.slots); the version says which format.
SDK_DOMAIN_KEYS = ("version", "slots", "forms")


def sdk_domain(domain: Domain) -> dict[str, Any]:
    """The part of the domain an action that asks for it gets (Rasa caches `as_dict`)."""
    full = domain.as_dict()
    return {key: full[key] for key in SDK_DOMAIN_KEYS if key in full}


def action_call_format(self: RemoteAction, tracker: Any, domain: Domain) -> dict[str, Any]:
    """Rasa's `RemoteAction._action_call_format`, with only the domain rasa_sdk reads."""
    call = _original_action_call_format(self, tracker, domain)
    if "domain" in call:
        call["domain"] = sdk_domain(domain)
    return call


class DebugLogCopy:
    """Stands in for the `copy` module where Rasa uses it only for debug log lines.

    In rasa.core.policies.memoization, rasa.core.policies.rule_policy and
    rasa.core.processor, `copy.deepcopy` is called for nothing but the arguments of
    `structlogger.debug(...)`; structlog drops those lines unless the log level is DEBUG.
    """

    _rasa_logger = logging.getLogger("rasa")

    @classmethod
    def deepcopy(cls, value: Any, memo: dict[int, Any] | None = None) -> Any:
        """A deep copy when debug lines are logged; otherwise the value itself."""
        if cls._rasa_logger.isEnabledFor(logging.DEBUG):
            return copy.deepcopy(value, memo)
        return value


# The Rasa attributes install() replaces, and the replacements.
_REPLACED: tuple[tuple[Any, str, Any], ...] = (
    (RemoteAction, "_validate_action_result", validate_action_result),
    (RemoteAction, "_action_call_format", action_call_format),
    (Event, "resolve_by_type", staticmethod(resolve_by_type)),
    (RulePolicy, "_is_rule_applicable", is_rule_applicable),
    (RulePolicy, "_get_possible_keys", get_possible_keys),
    (GraphSchema, "minimal_graph_schema", minimal_graph_schema),
    (Domain, "states_for_tracker_history", prediction_states.states_for_tracker_history),
    (DialogueStateTracker, "copy", tracker_copy.copy_tracker),
    (memoization, "copy", DebugLogCopy),
    (rule_policy, "copy", DebugLogCopy),
    (processor, "copy", DebugLogCopy),
)
_ORIGINALS = {(owner, name): owner.__dict__[name] for owner, name, _ in _REPLACED}


def install() -> None:
    """Replace the Rasa methods in this process (safe to call more than once)."""
    for owner, name, replacement in _REPLACED:
        setattr(owner, name, replacement)


def uninstall() -> None:
    """Put Rasa's own methods back (for tests that compare the two)."""
    for (owner, name), original in _ORIGINALS.items():
        setattr(owner, name, original)
    prediction_states.forget()
