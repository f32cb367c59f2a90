"""The `asf-bot` command: run the bot, chat with it, build the NLP pipeline."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.launcher import LaunchConfig


def _run(args: argparse.Namespace) -> int:
    from bot.launcher import run
    from bot.settings import Settings

    # Fail at start, not at the first question, when a content file is broken.
    if _check_content(args, quiet=True):
        return 1
    _db_upgrade(args)
    options = {
        "rasa_port": args.rasa_port,
        "action_port": args.action_port,
        "web_port": args.web_port or Settings.from_env().web_port,
        "model": args.model,
        "var_dir": args.var_dir,
    }
    token = os.environ.get("RASA_TOKEN")
    if token:
        options["token"] = token
    else:
        print("RASA_TOKEN is not set: generated one for this run (printed below).")
    config = LaunchConfig(**options)
    return run(config)


def _check_content(args: argparse.Namespace, quiet: bool = False) -> int:
    from bot.bootstrap import build_services
    from bot.content import ContentError
    from bot.settings import Settings

    content = build_services(Settings.from_env()).content
    try:
        calls, contact = content.calls(), content.contact()
    except ContentError as error:
        print(f"Content error: {error}", file=sys.stderr)
        return 1
    if quiet:
        return 0
    print(f"Contact: {contact.name}, {contact.organisation}, {contact.phone}, {contact.email}")
    print(f"Open calls: {len(calls.open)}. Visitors asking about funding are told:")
    print(calls.summary())
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.storage.migrate import upgrade

    upgrade(Settings.from_env().database_url)
    return 0


def _checklist_stats(args: argparse.Namespace) -> int:
    from collections import Counter

    from sqlalchemy import create_engine

    from bot.checklist import CRITERIA, Answer
    from bot.settings import Settings
    from bot.storage.checklists import ChecklistRepository

    stored = ChecklistRepository(create_engine(Settings.from_env().database_url, future=True)).all()
    print(f"Completed checklists: {len(stored)}")
    if not stored:
        return 0
    print(f"From {stored[0].completed_at:%Y-%m-%d} to {stored[-1].completed_at:%Y-%m-%d}")
    for verdict, count in Counter(s.verdict.value for s in stored).most_common():
        print(f"  {verdict}: {count}")
    print(f"{'criterion':<16} {'ja':>6} {'nej':>6} {'vet_inte':>9}")
    for criterion in CRITERIA:
        counts = Counter(s.answers[criterion] for s in stored)
        yes, no, unknown = (counts[a] for a in (Answer.YES, Answer.NO, Answer.UNKNOWN))
        print(f"{criterion:<16} {yes:>6} {no:>6} {unknown:>9}")
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.chat import chat

    chat(args.url)
    return 0


def _nlp_build(args: argparse.Namespace) -> int:
    from bot.nlp.build import main

    main(args.rest)
    return 0


def parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    defaults = LaunchConfig(token="")
    root = argparse.ArgumentParser(prog="asf-bot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="start the action server, the Rasa server and the web app"
    )
    run.add_argument("--rasa-port", type=int, default=defaults.rasa_port)
    run.add_argument("--action-port", type=int, default=defaults.action_port)
    run.add_argument(
        "--web-port", type=int, default=None, help="web app's port (default: WEB_PORT or 8080)"
    )
    run.add_argument("--model", type=Path, default=defaults.model)
    run.add_argument("--var-dir", type=Path, default=defaults.var_dir)
    run.set_defaults(handler=_run)

    chat = commands.add_parser("chat", help="chat with a running bot in the terminal")
    chat.add_argument("--url", default=defaults.rasa_url)
    chat.set_defaults(handler=_chat)

    check = commands.add_parser(
        "check-content", help="check content/*.yml and show what visitors will be told"
    )
    check.set_defaults(handler=_check_content)

    db = commands.add_parser("db-upgrade", help="create or upgrade the app database's schema")
    db.set_defaults(handler=_db_upgrade)

    stats = commands.add_parser(
        "checklist-stats", help="advisers' statistics of completed checklists (anonymous)"
    )
    stats.set_defaults(handler=_checklist_stats)

    nlp = commands.add_parser("nlp-build", help="build the Swedish spaCy pipeline")
    nlp.add_argument("rest", nargs=argparse.REMAINDER)
    nlp.set_defaults(handler=_nlp_build)
    return root


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `asf-bot` command."""
    from bot.log_redaction import install

    install()
    args = parser().parse_args(argv)
    sys.exit(args.handler(args))
