"""`python -m bot` is the `asf-bot` command."""

from bot.cli import main

main()
