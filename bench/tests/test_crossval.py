"""Pooling the folds of a cross-validation."""

from __future__ import annotations

import pytest

from bench.crossval import Fold, combine


def test_folds_pool_into_one_report_and_a_fold_mean():
    folds = [
        Fold(0, 1.0, (("greet", "greet"), ("thank", "thank")), 10.0),
        Fold(1, 0.5, (("greet", "nlu_fallback"), ("thank", "thank")), 12.0),
    ]
    result = combine(folds)
    assert result.fold_accuracy_mean == 0.75
    assert result.fold_accuracy_std == 0.25
    assert result.accuracy == 0.75
    # greet: P=1, R=0.5; thank: P=R=1.
    assert result.macro_f1 == pytest.approx((2 / 3 + 1) / 2)
    assert (result.examples, result.seconds) == (4, 22.0)
