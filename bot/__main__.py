"""`python -m bot` is the `asf-bot` command."""

from bot.runtime.cli import main

main()
