"""Run Rasa's command line with numpy's and Python's global generators seeded.

`rasa test nlu --cross-validation` shuffles its folds with numpy's global generator and
offers no seed; seeding it here gives every pipeline the same folds. With `--fold I`
Rasa's cross-validation runs only its I-th fold, so that folds can run side by side.
Usage: python -m bench.seeded_rasa SEED [--fold I] <rasa arguments>.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from typing import Any


def only_fold(index: int) -> None:
    """Make Rasa's cross-validation run only fold `index` of the same seeded split."""
    import rasa.nlu.test as nlu_test

    all_folds = nlu_test.generate_folds

    def one_fold(n: int, data: Any) -> Iterator[Any]:
        for number, fold in enumerate(all_folds(n, data)):
            if number == index:
                yield fold

    nlu_test.generate_folds = one_fold


def main() -> None:
    """Seed the generators, then hand the remaining arguments to Rasa's CLI."""
    import numpy as np

    seed, args = int(sys.argv[1]), sys.argv[2:]
    if args[:1] == ["--fold"]:
        only_fold(int(args[1]))
        args = args[2:]
    random.seed(seed)
    np.random.seed(seed)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
