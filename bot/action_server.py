"""`python -m bot.action_server --actions actions`: Rasa's action server, logs redacted."""

from __future__ import annotations

from rasa_sdk.__main__ import main as rasa_sdk_main

from bot.log_redaction import install


def main() -> None:
    """Install log redaction, then run rasa_sdk's action server with the same arguments."""
    install()
    rasa_sdk_main()


if __name__ == "__main__":
    main()
