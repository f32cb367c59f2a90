"""Run Rasa's command line with numpy's and Python's global generators seeded.

`rasa test nlu --cross-validation` shuffles its folds with numpy's global generator and
offers no seed; seeding it here gives every pipeline the same folds.
Usage: python -m bench.seeded_rasa SEED <rasa arguments>.
"""

from __future__ import annotations

import random
import sys


def main() -> None:
    """Seed the generators, then hand the remaining arguments to Rasa's CLI."""
    import numpy as np

    seed = int(sys.argv[1])
    random.seed(seed)
    np.random.seed(seed)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[2:]]
    rasa_main()


if __name__ == "__main__":
    main()
