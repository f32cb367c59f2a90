"""The benchmark's figures from hand-made predictions."""

from __future__ import annotations

import pytest

from bench.metrics import (
    FALLBACK,
    macro_f1,
    out_of_domain_scores,
    pairs_of,
    percentile,
    predicted_topic,
    score,
    sweep_row,
    with_fallback,
)


def parsed(gold: str, ranking: list[tuple[str, float]], threshold: float = 0.5) -> dict:
    """A parse as nlu_eval stores it, with FallbackClassifier applied at `threshold`."""
    entries = [{"name": name, "confidence": c} for name, c in ranking]
    top = entries[0]
    if top["confidence"] < threshold:
        entries = [{"name": FALLBACK, "confidence": threshold}, *entries]
    return {
        "text": "x",
        "gold": gold,
        "intent": entries[0]["name"],
        "confidence": entries[0]["confidence"],
        "ranking": entries,
        "selected": None,
    }


def test_a_fallback_counts_as_wrong_but_is_no_class_of_its_own():
    pairs = [("greet", "greet"), ("greet", FALLBACK), ("thank", "thank"), ("thank", "thank")]
    scores = score(pairs)
    assert scores.accuracy == 0.75
    assert scores.fallback_rate == 0.25
    assert scores.wrong_rate == 0.0
    # greet: P=1, R=0.5 -> F1 2/3; thank: F1 1.
    assert scores.macro_f1 == pytest.approx((2 / 3 + 1) / 2)


def test_macro_f1_is_zero_for_a_label_never_predicted():
    assert macro_f1([("a", "b"), ("b", "b")]) == pytest.approx((0 + 2 / 3) / 2)


def test_the_fallback_is_reapplied_from_the_classifiers_own_ranking():
    prediction = parsed("greet", [("greet", 0.45), ("thank", 0.30)])
    assert prediction["intent"] == FALLBACK
    assert with_fallback(prediction, 0.4, 0.0) == "greet"
    assert with_fallback(prediction, 0.46, 0.0) == FALLBACK
    assert with_fallback(prediction, 0.4, 0.2) == FALLBACK


def test_the_sweep_separates_in_scope_out_of_scope_and_unclear():
    heldout = [
        parsed("greet", [("greet", 0.9), ("thank", 0.05)]),
        parsed("thank", [("greet", 0.4), ("thank", 0.35)]),
        parsed("out_of_scope", [("out_of_scope", 0.6), ("greet", 0.2)]),
        parsed("out_of_scope", [("greet", 0.35), ("out_of_scope", 0.3)]),
    ]
    unclear = [parsed(FALLBACK, [("help", 0.45), ("greet", 0.1)])]
    low = sweep_row(heldout, unclear, 0.3, 0.0)
    assert low.in_scope_wrong == 0.5
    assert low.oos_topic == 0.5
    assert low.unclear_fallback == 0.0
    high = sweep_row(heldout, unclear, 0.5, 0.0)
    assert high.in_scope_fallback == 0.5
    assert high.answered_accuracy == 1.0
    assert high.oos_out_of_scope == 0.5
    assert high.oos_fallback == 0.5
    assert high.unclear_fallback == 1.0


def test_a_retrieval_intent_is_scored_by_the_topic_its_selector_picked():
    prediction = parsed("films", [("faq", 0.9), ("greet", 0.05)])
    prediction["selected"] = {"key": "faq/films", "confidence": 0.8}
    assert pairs_of([prediction], predicted_topic) == [("films", "films")]


def test_the_selectors_pick_is_ignored_when_the_intent_is_not_the_retrieval_intent():
    # The ResponseSelector picks a topic for every message, greetings and fallbacks too.
    greeting = parsed("greet", [("greet", 0.9), ("faq", 0.05)])
    greeting["selected"] = {"key": "faq/regions", "confidence": 0.3}
    unclear = parsed("films", [("faq", 0.3), ("greet", 0.2)])
    unclear["selected"] = {"key": "faq/films", "confidence": 0.9}
    assert pairs_of([greeting, unclear], predicted_topic) == [
        ("greet", "greet"),
        ("films", FALLBACK),
    ]


def test_percentiles_interpolate_like_numpy():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)


def test_out_of_domain_messages_count_as_handled_with_out_of_scope_or_a_fallback():
    predictions = [
        parsed("out_of_scope", [("out_of_scope", 0.9), ("stop", 0.05)]),
        parsed("out_of_scope", [("stop", 0.3), ("out_of_scope", 0.2)]),
        parsed("out_of_scope", [("delete_my_data", 0.6), ("out_of_scope", 0.3)]),
        parsed("out_of_scope", [("films", 0.7), ("out_of_scope", 0.2)]),
    ]
    predictions[2]["text"], predictions[3]["text"] = "glöm det", "pausa filmen"
    scores = out_of_domain_scores(predictions)
    assert scores.examples == 4
    assert (scores.handled, scores.out_of_scope, scores.fallback) == (0.5, 0.25, 0.25)
    assert scores.misses == (("glöm det", "delete_my_data"), ("pausa filmen", "films"))


def test_no_out_of_domain_set_gives_no_out_of_domain_figures():
    assert out_of_domain_scores([]) is None


def test_the_sweep_counts_out_of_domain_messages_handled_at_each_threshold():
    ood = [
        parsed("out_of_scope", [("stop", 0.45), ("out_of_scope", 0.4)]),
        parsed("out_of_scope", [("out_of_scope", 0.8), ("stop", 0.1)]),
    ]
    heldout = [parsed("greet", [("greet", 0.9), ("thank", 0.05)])]
    assert sweep_row(heldout, [], 0.4, 0.0, ood).ood_handled == 0.5
    assert sweep_row(heldout, [], 0.5, 0.0, ood).ood_handled == 1.0
