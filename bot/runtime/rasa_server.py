"""`python -m bot.runtime.rasa_server run ...`: Rasa's CLI, with our patches installed.

The launcher starts the Rasa server through this module so that the per-message costs
that bot/nlp/speedups.py removes are gone, the action server is called over kept
connections (bot/nlp/action_calls.py), the server works on at most
RASA_MAX_IN_FLIGHT messages at once, in arrival order (bot/nlp/admission.py), and the
garbage collector leaves the loaded model alone (bot/nlp/heap.py); every argument goes to
Rasa unchanged.
"""

from __future__ import annotations

import sys

from bot.nlp import action_calls, admission, heap, speedups
from bot.runtime.settings import Settings


def main() -> None:
    """Install the speedups and the admission gate, then run Rasa's command line."""
    speedups.install()
    action_calls.install()
    heap.install()
    admission.install(Settings.from_env().rasa_max_in_flight)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
