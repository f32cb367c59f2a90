"""The test sets measure what the bot does with messages it never saw."""

import re

from rasa.shared.nlu.training_data.loading import load_data

from bot.runtime.settings import PROJECT_ROOT

TRAINING = PROJECT_ROOT / "data" / "nlu"
TEST_SETS = PROJECT_ROOT / "tests" / "nlu"
HELDOUT = TEST_SETS / "heldout.yml"
# English messages for every intent (issue 15).
HELDOUT_EN = TEST_SETS / "heldout_en.yml"
# Everyday requests, other agencies' errands, small talk and nonsense (issue 11).
OUT_OF_DOMAIN = TEST_SETS / "out_of_domain.yml"
OUT_OF_DOMAIN_EN = TEST_SETS / "out_of_domain_en.yml"
MIN_OUT_OF_DOMAIN_EXAMPLES = 200
OUT_OF_DOMAIN_CATEGORIES = {
    "timers and alarms",
    "music, radio and podcasts",
    "lights, blinds, temperature and the home",
    "weather",
    "clock, time and date",
    "shopping lists, reminders and calendar",
    "calls, messages and navigation",
    "other agencies' errands",
    "small talk",
    "nonsense",
}
# Visitors often write without å/ä/ö: "far man" is "får man" typed so.
WITHOUT_DIACRITICS = str.maketrans("åäöé", "aaoe")


def normalised(text: str, fold_diacritics: bool = False) -> str:
    """Lower case, punctuation and spacing folded (and å/ä/ö, when asked)."""
    text = text.lower()
    if fold_diacritics:
        text = text.translate(WITHOUT_DIACRITICS)
    return re.sub(r"[^\w]+", " ", text).strip()


def normalised_texts(path, fold_diacritics: bool = False) -> set[str]:
    data = load_data(str(path))
    return {normalised(e.get("text"), fold_diacritics) for e in data.training_examples}


def test_no_test_message_is_also_a_training_example():
    training = normalised_texts(TRAINING)
    for test_set in ("heldout.yml", "heldout_en.yml", "unclear.yml"):
        shared = training & normalised_texts(TEST_SETS / test_set)
        assert not shared, f"{test_set} repeats training examples: {sorted(shared)}"


def test_no_out_of_domain_message_is_a_training_or_held_out_example_not_even_without_å_ä_ö():
    ood = normalised_texts(OUT_OF_DOMAIN, fold_diacritics=True)
    for name, path in (
        ("training", TRAINING),
        ("held-out", HELDOUT),
        ("English held-out", HELDOUT_EN),
    ):
        shared = ood & normalised_texts(path, fold_diacritics=True)
        assert not shared, f"out_of_domain.yml repeats {name} examples: {sorted(shared)}"


def test_the_out_of_domain_set_is_large_and_covers_every_category():
    examples = load_data(str(OUT_OF_DOMAIN)).training_examples
    categories = {e.get("metadata")["intent"]["category"] for e in examples}
    assert len(examples) >= MIN_OUT_OF_DOMAIN_EXAMPLES
    assert {e.get("intent") for e in examples} == {"out_of_scope"}
    assert categories == OUT_OF_DOMAIN_CATEGORIES
    texts = [normalised(e.get("text"), fold_diacritics=True) for e in examples]
    assert len(set(texts)) == len(texts), "out_of_domain.yml repeats a message"


def test_the_held_out_set_covers_every_intent_of_the_domain():
    import yaml

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    heldout = load_data(str(HELDOUT))
    counts = heldout.number_of_examples_per_intent
    assert {i: counts.get(i, 0) for i in domain["intents"] if counts.get(i, 0) < 8} == {}


def test_the_english_held_out_set_covers_every_intent_a_visitor_can_have():
    import yaml

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    counts = load_data(str(HELDOUT_EN)).number_of_examples_per_intent
    # The language choices are H1's buttons and words (data/nlu/language.yml); the
    # English held-out set is about what visitors ask.
    visitor_intents = [i for i in domain["intents"] if not i.startswith("choose_")]
    assert {i: counts.get(i, 0) for i in visitor_intents if counts.get(i, 0) < 3} == {}
    assert sum(counts.values()) >= 150


def test_no_english_out_of_domain_message_is_a_training_or_other_test_example():
    ood = normalised_texts(OUT_OF_DOMAIN_EN, fold_diacritics=True)
    for name, path in (
        ("training", TRAINING),
        ("held-out", HELDOUT),
        ("English held-out", HELDOUT_EN),
        ("Swedish out-of-domain", OUT_OF_DOMAIN),
    ):
        shared = ood & normalised_texts(path, fold_diacritics=True)
        assert not shared, f"out_of_domain_en.yml repeats {name} examples: {sorted(shared)}"
    intents = {e.get("intent") for e in load_data(str(OUT_OF_DOMAIN_EN)).training_examples}
    assert intents == {"out_of_scope"}
