"""Accuracy, macro F1, fallback and latency figures from raw predictions and timings."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.variants import RETRIEVAL_INTENT, topic_of

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
# What a message outside the domain must get: the honest answer or a request to rephrase.
OUT_OF_DOMAIN_ANSWERS = (OUT_OF_SCOPE, FALLBACK)
Prediction = dict[str, Any]


@dataclass(frozen=True)
class IntentScores:
    """How well predicted labels match the gold labels; a fallback counts as wrong."""

    examples: int
    accuracy: float
    macro_f1: float
    fallback_rate: float
    wrong_rate: float


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """Macro F1 over the gold labels (as Rasa's intent report): fallbacks lower recall."""
    labels = {gold for gold, _ in pairs}
    scores = []
    for label in labels:
        tp = sum(gold == predicted == label for gold, predicted in pairs)
        fp = sum(predicted == label != gold for gold, predicted in pairs)
        fn = sum(gold == label != predicted for gold, predicted in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else math.nan


def score(pairs: Sequence[tuple[str, str]]) -> IntentScores:
    """Score (gold, predicted) pairs."""
    n = len(pairs)
    right = sum(gold == predicted for gold, predicted in pairs)
    fallbacks = sum(predicted == FALLBACK for _, predicted in pairs)
    return IntentScores(
        examples=n,
        accuracy=right / n,
        macro_f1=macro_f1(pairs),
        fallback_rate=fallbacks / n,
        wrong_rate=(n - right - fallbacks) / n,
    )


@dataclass(frozen=True)
class OutOfDomainScores:
    """How a model handles messages outside the domain (tests/nlu/out_of_domain.yml)."""

    examples: int
    handled: float
    out_of_scope: float
    fallback: float
    # (text, intent the bot would act on) for every message not handled, in file order.
    misses: tuple[tuple[str, str], ...]


def out_of_domain_scores(
    predictions: Sequence[Prediction],
    label: Callable[[Prediction], str] | None = None,
) -> OutOfDomainScores | None:
    """Share of out-of-domain messages that get out_of_scope or nlu_fallback, and the misses."""
    if not predictions:
        return None
    label = label or predicted_intent
    intents = [(p["text"], label(p)) for p in predictions]
    n = len(intents)
    return OutOfDomainScores(
        examples=n,
        handled=sum(i in OUT_OF_DOMAIN_ANSWERS for _, i in intents) / n,
        out_of_scope=sum(i == OUT_OF_SCOPE for _, i in intents) / n,
        fallback=sum(i == FALLBACK for _, i in intents) / n,
        misses=tuple((t, i) for t, i in intents if i not in OUT_OF_DOMAIN_ANSWERS),
    )


def predicted_intent(prediction: Prediction) -> str:
    """The intent the bot acts on."""
    return prediction["intent"]


def predicted_topic(prediction: Prediction) -> str:
    """The intent, or for the retrieval intent the topic its ResponseSelector picked.

    The ResponseSelector picks a topic for every message, also when the classifier's
    intent is another one (greet, nlu_fallback); only the retrieval intent uses the pick.
    """
    selected = prediction.get("selected")
    if selected and prediction["intent"] == RETRIEVAL_INTENT:
        return topic_of(selected["key"])
    return prediction["intent"]


def pairs_of(
    predictions: Iterable[Prediction],
    label: Callable[[Prediction], str] = predicted_intent,
) -> list[tuple[str, str]]:
    """Return (gold, predicted) for each prediction."""
    return [(p["gold"], label(p)) for p in predictions]


def classifier_top(prediction: Prediction) -> tuple[str, float, float]:
    """Return the classifier's own top intent, its confidence and the runner-up's."""
    ranking = [entry for entry in prediction["ranking"] if entry["name"] != FALLBACK]
    if not ranking:
        return prediction["intent"], prediction["confidence"], 0.0
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    return ranking[0]["name"], ranking[0]["confidence"], second


def with_fallback(prediction: Prediction, threshold: float, ambiguity: float) -> str:
    """The intent FallbackClassifier would give at other thresholds (its rule: strict <)."""
    name, confidence, second = classifier_top(prediction)
    if confidence < threshold or confidence - second < ambiguity:
        return FALLBACK
    return name


@dataclass(frozen=True)
class SweepRow:
    """Outcomes at one FallbackClassifier setting."""

    threshold: float
    ambiguity: float
    accuracy: float
    macro_f1: float
    answered_accuracy: float
    in_scope_fallback: float
    in_scope_wrong: float
    oos_fallback: float
    oos_out_of_scope: float
    oos_topic: float
    unclear_fallback: float
    # Out-of-domain messages that get out_of_scope or nlu_fallback (nan without the set).
    ood_handled: float = math.nan


def _rate(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else math.nan


def sweep_row(
    heldout: Sequence[Prediction],
    unclear: Sequence[Prediction],
    threshold: float,
    ambiguity: float,
    out_of_domain: Sequence[Prediction] = (),
) -> SweepRow:
    """Held-out, unclear and out-of-domain outcomes at one threshold and ambiguity threshold."""
    pairs = [(p["gold"], with_fallback(p, threshold, ambiguity)) for p in heldout]
    in_scope = [(g, q) for g, q in pairs if g != OUT_OF_SCOPE]
    answered = [(g, q) for g, q in in_scope if q != FALLBACK]
    oos = [q for g, q in pairs if g == OUT_OF_SCOPE]
    overall = score(pairs)
    return SweepRow(
        threshold=threshold,
        ambiguity=ambiguity,
        accuracy=overall.accuracy,
        macro_f1=overall.macro_f1,
        answered_accuracy=_rate([g == q for g, q in answered]),
        in_scope_fallback=_rate([q == FALLBACK for _, q in in_scope]),
        in_scope_wrong=_rate([q not in (g, FALLBACK) for g, q in in_scope]),
        oos_fallback=_rate([q == FALLBACK for q in oos]),
        oos_out_of_scope=_rate([q == OUT_OF_SCOPE for q in oos]),
        oos_topic=_rate([q not in (FALLBACK, OUT_OF_SCOPE) for q in oos]),
        unclear_fallback=_rate(
            [with_fallback(p, threshold, ambiguity) == FALLBACK for p in unclear]
        ),
        ood_handled=_rate(
            [with_fallback(p, threshold, ambiguity) in OUT_OF_DOMAIN_ANSWERS for p in out_of_domain]
        ),
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
