"""A new session keeps the conversation's language and reading mode, and nothing else.

After 60 minutes without a message Rasa starts a new session from the slots' initial
values (`carry_over_slots_to_new_session: false` in domain.yml): the checklist answers,
the consent and the question for staff must not outlive their session. The language and
the reading mode are no such record: a visitor who chose English or lättläst and comes
back after lunch must not be answered in standard Swedish. Rasa's own session start
(`ActionSessionStart`, run inside the Rasa server) carries all slots or none; this
patch adds the two variant slots to what it returns. A custom `action_session_start` on
the action server could do the same, at the cost of a call, and a failure while the
action server is down, at the start of every conversation.
"""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.events import ActionExecuted, Event, SlotSet

from bot.domain.variants import LANGUAGE_SLOT, READING_MODE_SLOT

CARRIED_SLOTS = (LANGUAGE_SLOT, READING_MODE_SLOT)

_original_run = ActionSessionStart.run


def carried_over(tracker: Any, domain: Any) -> list[Event]:
    """SlotSet events for the variant slots the old session had set away from their start."""
    events: list[Event] = []
    for name in CARRIED_SLOTS:
        slot = next((slot for slot in domain.slots if slot.name == name), None)
        value = tracker.get_slot(name)
        if slot is not None and value is not None and value != slot.initial_value:
            events.append(SlotSet(name, value))
    return events


async def run(
    self: ActionSessionStart, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Event]:
    """Rasa's session start, with the language and reading mode set again before listening."""
    events = await _original_run(self, output_channel, nlg, tracker, domain)
    if domain.session_config.carry_over_slots:
        return events
    carried = carried_over(tracker, domain)
    listen = next(
        (index for index, event in enumerate(events) if isinstance(event, ActionExecuted)),
        len(events),
    )
    return [*events[:listen], *carried, *events[listen:]]


def install() -> None:
    """Carry the variant slots into every new session (idempotent)."""
    ActionSessionStart.run = run  # type: ignore[method-assign]


def uninstall() -> None:
    """Put Rasa's own session start back (for tests)."""
    ActionSessionStart.run = _original_run  # type: ignore[method-assign]
