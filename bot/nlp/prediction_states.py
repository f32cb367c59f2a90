"""The conversation's past states, worked out once per prediction instead of three times.

To predict each action Rasa 3.6 turns the whole conversation into a list of states, one
per earlier action: it replays every event onto a fresh tracker and describes the
tracker before each action (`Domain.states_for_tracker_history`). MemoizationPolicy does
this once, RulePolicy twice (by the user's text and by the intent) for the same events,
and profiled under load that was a fifth of the Rasa server's CPU.

The replay and the description of each turn do not depend on which policy asks, so here
they are done once per tracker and list of events (`prior_turns`), and each call builds
its states from them exactly as Rasa's loop does: Memoization's variant (rule-only turns
left out) and RulePolicy's (every turn) come out equal to Rasa's, and each caller gets
its own dictionaries, which the featurizer then changes in place.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

# Trackers live for one message; the last few are enough to serve every policy's call.
CACHED_TRACKERS = 64


@dataclass(frozen=True)
class PriorTurn:
    """The tracker before one action (or at the end), as the states loop reads it."""

    state: State
    hide_rule_turn: bool
    # What the loop reads of the tracker besides its state.
    followup_action: str | None
    latest_action_name: str | None
    active_loop_name: str | None
    latest_action: dict[str, str] | None


@dataclass(frozen=True)
class _Entry:
    tracker: weakref.ref[DialogueStateTracker]
    domain: Domain
    key: tuple[Any, ...]
    turns: tuple[PriorTurn, ...]


_entries: OrderedDict[int, _Entry] = OrderedDict()


def _events_key(tracker: DialogueStateTracker, omit_unset_slots: bool) -> tuple[Any, ...]:
    """What identifies the tracker's events: the deque only grows within a message.

    A tracker's events are only ever appended to (with a size limit, the oldest drop
    out, and the last event is new); the first and last event objects and the count
    change with every event added.
    """
    events = tracker.events
    ends = (id(events[0]), id(events[-1])) if events else (None, None)
    return (id(events), len(events), *ends, omit_unset_slots)


def prior_turns(
    domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False
) -> tuple[PriorTurn, ...]:
    """The tracker's earlier turns, replayed once for its current events."""
    key = _events_key(tracker, omit_unset_slots)
    entry = _entries.get(id(tracker))
    if (
        entry is not None
        and entry.tracker() is tracker
        and entry.domain is domain
        and entry.key == key
    ):
        _entries.move_to_end(id(tracker))
        return entry.turns
    turns = tuple(
        PriorTurn(
            state=domain.get_active_state(earlier, omit_unset_slots=omit_unset_slots),
            hide_rule_turn=hide_rule_turn,
            followup_action=earlier.followup_action,
            latest_action_name=earlier.latest_action_name,
            active_loop_name=earlier.active_loop_name,
            latest_action=domain._get_prev_action_sub_state(earlier),
        )
        for earlier, hide_rule_turn in tracker.generate_all_prior_trackers()
    )
    _entries[id(tracker)] = _Entry(weakref.ref(tracker), domain, key, turns)
    _entries.move_to_end(id(tracker))
    while len(_entries) > CACHED_TRACKERS:
        _entries.popitem(last=False)
    return turns


def _own_copy(state: State) -> State:
    """A state whose sub-state dictionaries the caller may change."""
    return {name: dict(sub_state) for name, sub_state in state.items()}  # type: ignore[misc]


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Rasa's `Domain.states_for_tracker_history`, from the turns replayed once.

    The loop is Rasa's own, step for step, reading each turn's recorded tracker values.
    """
    states: list[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for turn in prior_turns(self, tracker, omit_unset_slots):
        if ignore_rule_only_turns:
            # The previous ML action is the one of the last turn that was not hidden.
            if not turn_was_hidden:
                last_ml_action_sub_state = turn.latest_action
            # A follow-up action or a loop's happy path keeps the turn's hidden flag.
            if not turn.followup_action and turn.latest_action_name != turn.active_loop_name:
                turn_was_hidden = turn.hide_rule_turn
            if turn_was_hidden:
                continue

        state = _own_copy(turn.state)

        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if states:
                self._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = last_ml_action_sub_state

        states.append(self._clean_state(state))
    return states


def forget() -> None:
    """Drop every remembered replay (for tests that compare with Rasa's own)."""
    _entries.clear()
