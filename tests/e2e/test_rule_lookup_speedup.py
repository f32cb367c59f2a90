"""The Rasa server's faster rule lookup finds exactly the rules Rasa's own lookup finds.

bot/nlp/speedups.py replaces RulePolicy's rule lookup in the Rasa server. Here both
lookups run on the trained model's rules, for every turn of every conversation the
training stories and rules describe (with the training data's own states, forms and
slots), and must agree rule for rule.
"""

from __future__ import annotations

import pytest

from bot.nlp import speedups
from tests.e2e.training_stories import loaded_model, training_trackers

LOOKUPS = ("rules", "rules_for_loop_unhappy_path")


@pytest.fixture(scope="module")
def policy_and_states(trained_model):
    from rasa.core.policies.rule_policy import RulePolicy

    agent, components = loaded_model(trained_model)
    policy = next(c for c in components if isinstance(c, RulePolicy))
    trackers = training_trackers(agent.domain)
    states = []
    for tracker in trackers:
        past = tracker.past_states(agent.domain)
        states += [past[: turn + 1] for turn in range(len(past))]
    return policy, states


def possible_keys(policy, states: list) -> list[list[set[str]]]:
    return [[policy._get_possible_keys(policy.lookup[name], s) for s in states] for name in LOOKUPS]


def test_the_fast_lookup_finds_the_same_rules_as_rasas(policy_and_states):
    policy, states = policy_and_states
    speedups.uninstall()
    rasas = possible_keys(policy, states)
    speedups.install()
    try:
        ours = possible_keys(policy, states)
    finally:
        speedups.uninstall()
    assert len(states) > 500
    # Many turns have rules that apply, so the comparison is not of empty sets.
    assert sum(bool(keys) for keys in rasas[0]) > 300
    assert ours == rasas


def test_the_lookup_index_follows_a_changed_rule_table(policy_and_states):
    policy, states = policy_and_states
    speedups.install()
    try:
        before = possible_keys(policy, states)
        # A policy loaded again gets new lookup tables; the index must not serve old ones.
        emptied = {name: {} for name in LOOKUPS}
        assert [
            [speedups.get_possible_keys(policy, emptied[n], s) for s in states] for n in LOOKUPS
        ] == [[set() for _ in states] for _ in LOOKUPS]
        assert possible_keys(policy, states) == before
    finally:
        speedups.uninstall()


def test_the_graph_for_a_target_is_the_one_rasa_works_out(trained_model):
    from rasa.core.agent import Agent

    schema = Agent.load(str(trained_model)).processor.graph_runner._graph_schema
    targets = [[name] for name in schema.nodes] + [schema.target_names, None]
    speedups.uninstall()
    rasas = [schema.minimal_graph_schema(t) for t in targets]
    speedups.install()
    try:
        ours = [schema.minimal_graph_schema(t) for t in targets]
        again = [schema.minimal_graph_schema(t) for t in targets]
    finally:
        speedups.uninstall()
    assert [s.nodes for s in ours] == [s.nodes for s in rasas]
    assert len({len(s.nodes) for s in rasas}) > 1
    # Worked out once: the second call returns the same schema object.
    assert all(a is b for a, b in zip(ours, again, strict=True))
