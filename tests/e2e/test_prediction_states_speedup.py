"""The policies see exactly what Rasa's own replay gives, with less replaying.

bot/nlp/prediction_states.py replays a conversation once per prediction for all the
policies, and bot/nlp/tracker_copy.py copies a tracker without replaying it. Here the
trained model's MemoizationPolicy and RulePolicy work out their prediction states both
ways, and trackers are copied both ways, at every point where the bot predicts an action
in every conversation the training stories and rules describe (forms, slots, rule-only
turns); they must agree state for state.
"""

from __future__ import annotations

import copy
from itertools import chain

import pytest
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.nlp import prediction_states, speedups, tracker_copy
from tests.e2e.training_stories import loaded_model, training_trackers


@pytest.fixture(scope="module")
def policies_and_trackers(trained_model):
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy

    agent, components = loaded_model(trained_model)
    rules = next(c for c in components if isinstance(c, RulePolicy))
    memo = next(c for c in components if type(c) is MemoizationPolicy)
    generated = training_trackers(agent.domain)
    stories = [list(story.events) for story in generated]
    # Visitors hold longer conversations than one story: some stories one after another.
    stories += [list(chain(*stories[i : i + 6])) for i in range(0, len(stories), 25)]
    # The tracker at each point where the bot predicts: before every action, and at the end.
    trackers = []
    for number, events in enumerate(stories):
        ends = [i for i, e in enumerate(events) if isinstance(e, ActionExecuted)]
        for end in [*ends, len(events)]:
            trackers.append(
                DialogueStateTracker.from_events(
                    f"story-{number}", events[:end], agent.domain.slots
                )
            )
    return agent.domain, memo, rules, trackers


def states_of(domain, memo, rules, trackers) -> list:
    """What each policy featurises for each tracker, in every variant it asks for."""
    found = []
    for tracker in trackers:
        rule_only = rules._get_rule_only_data()
        found.append(memo._prediction_states(tracker, domain, rule_only_data=rule_only))
        for by_text in (True, False):
            found.append(
                rules._prediction_states(tracker, domain, by_text, rule_only_data=rule_only)
            )
        for omit_unset_slots in (True, False):
            found.append(tracker.past_states(domain, omit_unset_slots=omit_unset_slots))
    return found


def test_the_policies_get_the_states_rasas_replay_gives(policies_and_trackers):
    domain, memo, rules, trackers = policies_and_trackers
    speedups.uninstall()
    rasas = states_of(domain, memo, rules, trackers)
    speedups.install()
    try:
        ours = states_of(domain, memo, rules, trackers)
        # Asked again for trackers whose replays are remembered: still the same.
        remembered = trackers[-prediction_states.CACHED_TRACKERS :]
        again = states_of(domain, memo, rules, remembered)
    finally:
        speedups.uninstall()
    assert len(trackers) > 1000
    # Long histories are compared, and turns that only rules have: Memoization's states
    # (rule-only turns left out) differ from RulePolicy's for many trackers.
    assert any(len(states) > 30 for states in rasas)
    memos, by_intent = rasas[0::5], rasas[2::5]
    assert sum(m != r for m, r in zip(memos, by_intent, strict=True)) > 100
    assert ours == rasas
    assert again == rasas[-len(again) :]


def test_states_follow_an_event_added_to_the_same_tracker(policies_and_trackers):
    domain = policies_and_trackers[0]
    tracker = DialogueStateTracker.from_events(
        "visitor",
        [ActionExecuted("action_listen"), UserUttered("hej", {"name": "greet"})],
        domain.slots,
    )
    speedups.install()
    try:
        # A caller changing its states in place changes nobody else's.
        tracker.past_states(domain)[-1]["user"].clear()
        again = tracker.past_states(domain)
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(SlotSet("summary_requested", True))
        after = tracker.past_states(domain)
    finally:
        speedups.uninstall()
    assert again[-1]["user"]["intent"] == "greet"
    assert after == tracker.past_states(domain)
    assert len(after) == 3
    assert after[1]["user"]["intent"] == "greet"
    assert after[2]["slots"]["summary_requested"]


def test_a_tracker_copied_without_replay_is_the_replayed_copy(policies_and_trackers):
    trackers = policies_and_trackers[3]
    for tracker in trackers:
        # The processor sets these on the tracker it works on; no event carries them.
        tracker.model_id, tracker.assistant_id = "model-1", "asf-hjalpen"
    try:
        speedups.uninstall()
        rasas = [t.copy() for t in trackers]
        speedups.install()
        ours = [t.copy() for t in trackers]
    finally:
        speedups.uninstall()
        for tracker in trackers:
            tracker.model_id, tracker.assistant_id = None, None
    assert sum(t.active_loop is not None for t in rasas) > 100
    for tracker, mine, theirs in zip(trackers, ours, rasas, strict=True):
        assert type(mine) is type(theirs)
        assert vars(mine).keys() == vars(theirs).keys()
        assert mine.current_state(EventVerbosity.ALL) == theirs.current_state(EventVerbosity.ALL)
        assert (mine.model_id, mine.assistant_id) == (theirs.model_id, theirs.assistant_id)
        assert mine.events.maxlen == theirs.events.maxlen
        # The copy is the caller's own: changing it leaves the tracker as it was.
        before = tracker.current_state(EventVerbosity.ALL)
        if mine.active_loop is not None:
            mine.active_loop.rejected = not mine.active_loop.rejected
        mine.update(SlotSet("summary_requested", True))
        mine.update(ActiveLoop("email_form"))
        assert tracker.current_state(EventVerbosity.ALL) == before


def test_a_growing_tracker_gets_rasas_states_at_every_prediction(
    policies_and_trackers, monkeypatch
):
    domain, _, rules, trackers = policies_and_trackers
    rasas_states = speedups._ORIGINALS[(type(domain), "states_for_tracker_history")]
    rule_only = rules._get_rule_only_data()
    variants = [
        {"ignore_rule_only_turns": True, "rule_only_data": rule_only},
        {"ignore_rule_only_turns": False, "rule_only_data": rule_only},
        {"omit_unset_slots": True},
    ]
    full_replays = []
    applied_events = DialogueStateTracker.applied_events

    def counted(self):
        full_replays.append(self.sender_id)
        return applied_events(self)

    # The conversations as the bot holds them: one tracker, one event after another.
    stories = {t.sender_id: t for t in trackers}.values()
    compared = 0
    speedups.install()
    monkeypatch.setattr(DialogueStateTracker, "applied_events", counted)
    try:
        for story in stories:
            tracker = DialogueStateTracker(story.sender_id, domain.slots)
            for event in [*story.events, None]:
                if event is None or isinstance(event, ActionExecuted):
                    for kwargs in variants:
                        # Twice: every policy asks at the same point.
                        for _ in range(2):
                            ours = domain.states_for_tracker_history(tracker, **kwargs)
                            assert ours == rasas_states(domain, tracker, **kwargs)
                            compared += 1
                if event is not None:
                    tracker.update(event)
    finally:
        monkeypatch.undo()
        speedups.uninstall()
    # Rasa's own states call applied_events once per comparison; ours replayed from the
    # beginning only at a conversation's first prediction and where a loop first runs.
    ours_from_the_start = len(full_replays) - compared
    assert compared > 5000
    assert ours_from_the_start < compared / 5


def test_a_slot_is_copied_as_copy_copies_it(policies_and_trackers):
    domain = policies_and_trackers[0]
    for slot in domain.slots:
        slot.value = ["a value"] if type(slot).__name__ == "ListSlot" else slot.value
        ours, theirs = tracker_copy._slot_copy(slot), copy.copy(slot)
        assert type(ours) is type(theirs)
        assert vars(ours) == vars(theirs)
        assert ours is not slot
        ours.value = None
        assert slot.value == theirs.value
        slot.reset()
    # What makes the two the same: no slot class keeps attributes outside its __dict__
    # or copies itself its own way.
    for cls in {type(s) for s in domain.slots}:
        assert not any(getattr(c, "__slots__", ()) for c in cls.__mro__)
        own_copies = ("__copy__", "__reduce__", "__reduce_ex__")
        assert not any(name in vars(c) for c in cls.__mro__[:-1] for name in own_copies)
