"""`python -m bot.runtime.action_server --actions actions`: Rasa's action server, logs redacted.

It also logs at the level LOG_LEVEL names, as the Rasa server does (rasa_sdk itself
only takes --debug / --quiet).
"""

from __future__ import annotations

import os
import sys

from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser

from bot.runtime.log_redaction import install

LEVEL_FLAGS = {"DEBUG": "--debug", "INFO": "--verbose", "WARNING": "--quiet"}
_ANY_LEVEL_FLAG = {"-v", "--verbose", "-vv", "--debug", "--quiet"}


def arguments(argv: list[str], environ: dict[str, str]) -> list[str]:
    """Return rasa_sdk's arguments, with LOG_LEVEL's flag unless one is given."""
    flag = LEVEL_FLAGS.get(environ.get("LOG_LEVEL", "").upper())
    if flag and not _ANY_LEVEL_FLAG & set(argv):
        return [*argv, flag]
    return argv


def main(argv: list[str] | None = None) -> None:
    """Install log redaction, then run rasa_sdk's action server."""
    install()
    args = arguments(sys.argv[1:] if argv is None else argv, dict(os.environ))
    main_from_args(create_argument_parser().parse_args(args))


if __name__ == "__main__":
    main()
