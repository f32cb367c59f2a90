"""`python -m bot.runtime.rasa_server run ...`: Rasa's CLI, with bot.nlp.speedups installed.

The launcher starts the Rasa server through this module so that the two per-message
costs that bot/nlp/speedups.py removes are gone; every argument goes to Rasa unchanged.
"""

from __future__ import annotations

import sys

from bot.nlp.speedups import install


def main() -> None:
    """Install the speedups, then run Rasa's command line with this process's arguments."""
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
