"""The test sets measure what the bot does with messages it never saw."""

import re

from rasa.shared.nlu.training_data.loading import load_data

from bot.runtime.settings import PROJECT_ROOT


def normalised_texts(path) -> set[str]:
    data = load_data(str(path))
    return {re.sub(r"[^\w]+", " ", e.get("text").lower()).strip() for e in data.training_examples}


def test_no_test_message_is_also_a_training_example():
    training = normalised_texts(PROJECT_ROOT / "data" / "nlu")
    for test_set in ("heldout.yml", "unclear.yml"):
        shared = training & normalised_texts(PROJECT_ROOT / "tests" / "nlu" / test_set)
        assert not shared, f"{test_set} repeats training examples: {sorted(shared)}"


def test_the_held_out_set_covers_every_intent_of_the_domain():
    import yaml

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    heldout = load_data(str(PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"))
    counts = heldout.number_of_examples_per_intent
    assert {i: counts.get(i, 0) for i in domain["intents"] if counts.get(i, 0) < 8} == {}
