"""Two per-message costs of the Rasa 3.6 server that buy nothing, removed.

Profiled under load (py-spy on the Rasa server, `make bench`'s messages), half of the
server's CPU time went to `RemoteAction._validate_action_result`: `jsonschema.validate`
checks the schema itself against the JSON Schema meta-schema on every call, before it
checks the action server's response. The schema is a constant, so here it is checked
once and its validator reused; every response is still validated, with the same errors.

Another 5 % went to `Event.resolve_by_type`, which walks every subclass of Event for
each event it turns from JSON into an object (tracker store, action responses); here the
class found for an event name is remembered.

`install()` is called by `python -m bot.rasa_server` before Rasa starts; nothing changes
what the bot answers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_original_resolve_by_type = Event.resolve_by_type
_event_classes: dict[str, type[Event]] = {}


@lru_cache(maxsize=1)
def action_response_validator() -> Validator:
    """The validator of action server responses, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """What Rasa's `_validate_action_result` does, without re-checking the schema."""
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


def install() -> None:
    """Replace the two Rasa methods in this process (safe to call more than once)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
