"""The conversation's past states, replayed once per message instead of three times a prediction.

To predict each action Rasa 3.6 turns the whole conversation into a list of states, one
per earlier action: it replays every event onto a fresh tracker and describes the
tracker before each action (`Domain.states_for_tracker_history`). MemoizationPolicy does
this once, RulePolicy twice (by the user's text and by the intent), and again at every
prediction of the message, each time from the conversation's start; profiled under load
that was a fifth of the Rasa server's CPU, growing with the conversation.

Here a tracker's replay is kept (`prior_turns`): the same events are replayed once for
every policy that asks, and when the tracker has more events at the next prediction, the
replay goes on from where the new list of applied events (Rasa's `applied_events`, which
can also take back the last turns of a form) still agrees with the old one, from a copy
of the replayed tracker kept before each of the last few actions. Each call then builds
its states from the turns exactly as Rasa's loop does, and each caller gets its own
dictionaries, which the featurizer changes in place.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlp.tracker_copy import copy_tracker

# Trackers live for one message; the last few are enough to serve every policy's call.
CACHED_TRACKERS = 64
# Replayed trackers kept before the last actions: a form's next turn takes back the
# visitor's answer and the listen before it, back to the form's previous run, two
# actions back; further back the replay starts again from the beginning.
CHECKPOINTS = 2


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
class Checkpoint:
    """The replayed tracker just before the applied event at `index` (an action)."""

    index: int
    turns: int
    tracker: DialogueStateTracker


@dataclass(frozen=True)
class Replay:
    """One tracker's events replayed: enough to answer again or to go on."""

    tracker: weakref.ref[DialogueStateTracker]
    domain: Domain
    omit_unset_slots: bool
    events_id: int
    event_count: int
    first_event: Event | None
    last_event: Event | None
    loop_names: frozenset[str]
    applied: tuple[Event, ...]
    turns: tuple[PriorTurn, ...]
    checkpoints: tuple[Checkpoint, ...]

    def answers(self, tracker: DialogueStateTracker, domain: Domain, omit: bool) -> bool:
        """Whether this is the replay of `tracker` as it is now."""
        return self.continues(tracker, domain, omit) and len(tracker.events) == self.event_count

    def continues(self, tracker: DialogueStateTracker, domain: Domain, omit: bool) -> bool:
        """Whether `tracker` holds these events, maybe with more after them."""
        events = tracker.events
        return (
            self.tracker() is tracker
            and self.domain is domain
            and self.omit_unset_slots == omit
            and id(events) == self.events_id
            and len(events) >= self.event_count > 0
            and events[0] is self.first_event
            and events[self.event_count - 1] is self.last_event
        )


# By tracker and whether unset slots are left out (the policies never leave them out).
_replays: OrderedDict[tuple[int, bool], Replay] = OrderedDict()


def _loop_names(events: Any) -> frozenset[str]:
    return frozenset(e.name for e in events if isinstance(e, ActiveLoop) and e.name)


def _turn(domain: Domain, tracker: DialogueStateTracker, hide: bool, omit: bool) -> PriorTurn:
    return PriorTurn(
        state=domain.get_active_state(tracker, omit_unset_slots=omit),
        hide_rule_turn=hide,
        followup_action=tracker.followup_action,
        latest_action_name=tracker.latest_action_name,
        active_loop_name=tracker.active_loop_name,
        latest_action=domain._get_prev_action_sub_state(tracker),
    )


def _applied_after(
    tracker: DialogueStateTracker,
    applied: list[Event],
    new: list[Event],
    loop_names: frozenset[str],
) -> list[Event] | None:
    """Rasa's `applied_events` loop over `new`, from the applied list so far; None where
    the loop would start again (a restart or a new session)."""
    for event in new:
        if isinstance(event, (Restarted, SessionStarted)):
            return None
        if isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


def _replay(
    domain: Domain,
    tracker: DialogueStateTracker,
    omit: bool,
    applied: list[Event],
    loop_names: frozenset[str],
    start: Checkpoint | None = None,
    earlier: Replay | None = None,
) -> Replay:
    """Replay `applied` from the beginning, or from `start`, a checkpoint of `earlier`."""
    if start is None or earlier is None:
        replayed, index, turns = tracker.init_copy(), 0, []
        kept: list[Checkpoint] = []
    else:
        replayed, index = copy_tracker(start.tracker), start.index
        turns = list(earlier.turns[: start.turns])
        kept = [c for c in earlier.checkpoints if c.index < start.index]
    actions = [i for i in range(index, len(applied)) if isinstance(applied[i], ActionExecuted)]
    marked = set(actions[-CHECKPOINTS:])
    checkpoints = kept
    for position in range(index, len(applied)):
        event = applied[position]
        if isinstance(event, ActionExecuted):
            if position in marked:
                checkpoints.append(Checkpoint(position, len(turns), copy_tracker(replayed)))
            turns.append(_turn(domain, replayed, event.hide_rule_turn, omit))
        replayed.update(event)
    turns.append(_turn(domain, replayed, False, omit))
    events = tracker.events
    return Replay(
        tracker=weakref.ref(tracker),
        domain=domain,
        omit_unset_slots=omit,
        events_id=id(events),
        event_count=len(events),
        first_event=events[0] if events else None,
        last_event=events[-1] if events else None,
        loop_names=loop_names,
        applied=tuple(applied),
        turns=tuple(turns),
        checkpoints=tuple(checkpoints[-CHECKPOINTS:]),
    )


def _go_on(domain: Domain, tracker: DialogueStateTracker, omit: bool, old: Replay) -> Replay | None:
    """The replay of `tracker` continued from `old`, or None if it must start again."""
    new_events = list(itertools.islice(tracker.events, old.event_count, None))
    loop_names = old.loop_names | _loop_names(new_events)
    # A loop's name seen for the first time changes how earlier events apply.
    if loop_names != old.loop_names:
        return None
    applied = _applied_after(tracker, list(old.applied), new_events, loop_names)
    if applied is None:
        return None
    same = 0
    for before, now in zip(old.applied, applied, strict=False):
        if before is not now:
            break
        same += 1
    usable = [c for c in old.checkpoints if c.index <= same]
    if not usable:
        return None
    return _replay(domain, tracker, omit, applied, loop_names, usable[-1], old)


def prior_turns(
    domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False
) -> tuple[PriorTurn, ...]:
    """The tracker's turns before each action and at the end, as Rasa's replay gives them."""
    key = (id(tracker), omit_unset_slots)
    old = _replays.get(key)
    if old is not None and old.answers(tracker, domain, omit_unset_slots):
        _replays.move_to_end(key)
        return old.turns
    replay = None
    if old is not None and old.continues(tracker, domain, omit_unset_slots):
        replay = _go_on(domain, tracker, omit_unset_slots, old)
    if replay is None:
        applied = tracker.applied_events()
        loop_names = _loop_names(tracker.events)
        replay = _replay(domain, tracker, omit_unset_slots, applied, loop_names)
    _replays[key] = replay
    _replays.move_to_end(key)
    while len(_replays) > CACHED_TRACKERS:
        _replays.popitem(last=False)
    return replay.turns


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
    _replays.clear()
