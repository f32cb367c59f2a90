"""The `asf-bot` command: run the bot, chat with it, staff tools, build the NLP pipeline."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.runtime.launcher import LaunchConfig

if TYPE_CHECKING:
    from bot.runtime.settings import Settings


def _run(args: argparse.Namespace) -> int:
    from bot.runtime.launcher import run
    from bot.runtime.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"ASF-hjälpen cannot start: {error}", file=sys.stderr)
        return 1
    # Fail at start, not at the first question, when a content file is broken.
    if _check_content(args, quiet=True):
        return 1
    _db_upgrade(args)
    config = LaunchConfig(**_launch_options(args, settings, os.environ))
    return run(config)


def _cluster(args: argparse.Namespace) -> int:
    from bot.runtime import cluster
    from bot.runtime.settings import Settings, SettingsError

    try:
        Settings.from_env()
        replicas = cluster.Replicas(args.rasa, args.actions, args.web, args.mail_workers)
    except (SettingsError, ValueError) as error:
        print(f"ASF-hjälpen cannot start: {error}", file=sys.stderr)
        return 1
    if _check_content(args, quiet=True):
        return 1
    options: dict[str, Any] = {
        "replicas": replicas,
        "web_port": args.web_port,
        "web_host": args.web_host,
        "rasa_port": args.rasa_port,
        "action_port": args.action_port,
        "mail_port": args.mail_port,
        "model": args.model,
        "var_dir": args.var_dir,
        "log_dir": args.log_dir,
    }
    if args.replica_ports_from:
        first = args.replica_ports_from
        counts = (replicas.rasa, replicas.action, replicas.web)
        names = ("rasa_ports", "action_ports", "web_ports")
        for name, start, count in zip(
            names, (first, first + counts[0], first + counts[0] + counts[1]), counts, strict=True
        ):
            options[name] = tuple(range(start, start + count))
    if os.environ.get("RASA_TOKEN"):
        options["token"] = os.environ["RASA_TOKEN"]
    if os.environ.get("ACTION_SERVER_TOKEN"):
        options["action_token"] = os.environ["ACTION_SERVER_TOKEN"]
    return cluster.run(cluster.from_environment(os.environ, **options))


def _haproxy_config(args: argparse.Namespace) -> int:
    from bot.runtime.cluster import haproxy_config

    print(
        haproxy_config(
            web_bind=args.web_bind,
            rasa_bind=args.rasa_bind,
            action_bind=args.action_bind,
            web_servers=args.web,
            rasa_servers=args.rasa,
            action_servers=args.actions,
            stats_socket=args.stats_socket,
        ),
        end="",
    )
    return 0


def _endpoints(args: argparse.Namespace) -> int:
    from bot.runtime.launcher import render_endpoints, write_private
    from bot.runtime.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"Cannot write the endpoints: {error}", file=sys.stderr)
        return 1
    if not settings.action_server_token:
        print("Cannot write the endpoints: ACTION_SERVER_TOKEN is not set", file=sys.stderr)
        return 1
    endpoints = render_endpoints(args.action_url, settings.action_server_token, settings)
    print(f"Wrote {write_private(endpoints, args.out)}")
    return 0


def _launch_options(
    args: argparse.Namespace, settings: Settings, environ: Mapping[str, str]
) -> dict[str, Any]:
    """Return LaunchConfig's arguments: options first, then the environment, then defaults."""
    options = {
        "rasa_port": args.rasa_port,
        "action_port": args.action_port,
        "web_port": args.web_port or settings.web_port,
        "mail_port": args.mail_port,
        "rasa_host": args.rasa_host or settings.rasa_host,
        "action_host": args.action_host or settings.action_host,
        "web_host": args.web_host or settings.web_host,
        "model": args.model,
        "var_dir": args.var_dir,
        "log_dir": args.log_dir,
    }
    token = environ.get("RASA_TOKEN")
    if token:
        options["token"] = token
    else:
        print("RASA_TOKEN is not set: generated one for this run (printed below).")
    if settings.action_server_token:
        options["action_token"] = settings.action_server_token
    else:
        # Production refuses to start without it (Settings); a developer needs none.
        print("ACTION_SERVER_TOKEN is not set: generated one for this run.")
    return options


def _check_content(args: argparse.Namespace, quiet: bool = False) -> int:
    from bot.runtime.bootstrap import build_services
    from bot.runtime.settings import Settings
    from bot.services.content import ContentError

    content = build_services(Settings.from_env()).content
    try:
        content.check()
        calls, contact, escalation = content.calls(), content.contact(), content.escalation()
    except ContentError as error:
        print(f"Content error: {error}", file=sys.stderr)
        return 1
    if quiet:
        return 0
    print(f"Contact: {contact.name}, {contact.organisation}, {contact.phone}, {contact.email}")
    print(f"Open calls: {len(calls.open)}. Visitors asking about funding are told:")
    print(calls.summary())
    # The answering time is the one promise staff may add; show what it reads like now.
    print("A visitor whose question was sent to staff, with an address, is told:")
    print(escalation.handed_over("ASF-2026-000123", contact, reply_by_email=True))
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.runtime.settings import Settings
    from bot.storage.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    if settings.tracker_store_url:
        # Rasa's own table, created once here rather than by replicas starting together.
        from bot.nlp.tracker_store import create_tables

        create_tables(settings.tracker_store_url)
    return 0


def _checklist_stats(args: argparse.Namespace) -> int:
    from collections import Counter

    from sqlalchemy import create_engine

    from bot.domain.checklist import CRITERIA, Answer
    from bot.runtime.settings import Settings
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


def _default_endpoints() -> Path:
    from bot.runtime.settings import PROJECT_ROOT

    # `asf-bot run` writes the endpoints it actually uses (paths filled in) under var/.
    written = PROJECT_ROOT / "var" / "endpoints.yml"
    return written if written.exists() else PROJECT_ROOT / "endpoints.yml"


def _tracker_url(args: argparse.Namespace, settings: Settings) -> str:
    """Return the tracker store's URL: --endpoints first, then TRACKER_STORE_URL, then files."""
    from bot.runtime.settings import PROJECT_ROOT
    from bot.storage.conversations import tracker_store_url

    if args.endpoints is None and settings.tracker_store_url:
        return settings.tracker_store_url
    return tracker_store_url(args.endpoints or _default_endpoints(), PROJECT_ROOT)


def _privacy(args: argparse.Namespace) -> int:
    import json

    from sqlalchemy import create_engine

    from bot.runtime.settings import Settings
    from bot.services.privacy import PrivacyService
    from bot.storage.consents import ConsentRepository
    from bot.storage.conversations import ConversationRepository, tracker_store_engine
    from bot.storage.pending_questions import PendingQuestionRepository
    from bot.storage.tickets import TicketRepository

    settings = Settings.from_env()
    tracker_url = _tracker_url(args, settings)
    engine = create_engine(settings.database_url, future=True)
    service = PrivacyService(
        ConsentRepository(engine),
        PendingQuestionRepository(engine),
        TicketRepository(engine),
        settings.pseudonym_key,
        settings.retention_days,
        conversations=ConversationRepository(tracker_store_engine(tracker_url)),
        pending_question_hours=settings.pending_question_hours,
    )
    if args.privacy_command == "export":
        print(json.dumps(service.export(args.address), ensure_ascii=False, indent=2))
        return 0
    if args.privacy_command == "delete":
        deletion = service.delete(args.address)
        print(f"Deleted {deletion.records} record(s) and {deletion.conversations} conversation(s).")
        _print_tickets_and_questions(deletion)
        return 0
    deletion = service.purge()
    print(
        f"Purged {deletion.records} record(s) past their retention deadline "
        f"({settings.retention_days} days) and {deletion.conversations} conversation(s)."
    )
    _print_tickets_and_questions(deletion, settings.pending_question_hours)
    return 0


def _print_tickets_and_questions(deletion, pending_question_hours: int | None = None) -> None:
    tickets = deletion.tickets
    print(
        f"Removed the reply address from {tickets.tickets} ticket(s): {tickets.unsent} "
        f"whose mail will go to staff without it, {tickets.sent} whose mail staff already "
        "had (only the stored copy changed)."
    )
    after = f" older than {pending_question_hours} hours" if pending_question_hours else ""
    print(f"Deleted {deletion.pending_questions} question(s) not handed over{after}.")
    summaries = deletion.summaries
    print(
        f"Deleted {summaries.mails} counselling summary mail(s): {summaries.unsent} not sent "
        f"(they will not be), {summaries.sent} already sent (only the stored copy is gone)."
    )


def _ticket_repository():
    from sqlalchemy import create_engine

    from bot.runtime.settings import Settings
    from bot.storage.tickets import TicketRepository

    return TicketRepository(create_engine(Settings.from_env().database_url, future=True))


def _tickets_list(args: argparse.Namespace) -> int:
    # References, times and states only: no question, no address.
    status = "failed" if args.failed else "pending" if args.pending else None
    rows = _ticket_repository().statuses(status)
    label = f"{status} " if status else ""
    print(f"Tickets with {label}staff mail: {len(rows)}")
    for row in rows:
        line = f"{row.reference}  {row.created_at:%Y-%m-%d %H:%M}Z  {row.status:<8} "
        line += f"attempts {row.attempts}"
        if row.status == "pending" and row.attempts:
            line += f", next {row.next_attempt_at:%Y-%m-%d %H:%M}Z"
        if row.last_error and row.status != "sent":
            line += f"  ({row.last_error})"
        print(line)
    return 0


def _tickets_retry(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    if not _ticket_repository().retry_now(args.reference, datetime.now(timezone.utc)):
        print(f"No failed staff mail for {args.reference}.", file=sys.stderr)
        return 1
    print(f"{args.reference}: the mail worker sends it again now.")
    return 0


def _insight_report(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from bot.insight.figures import figures_for
    from bot.insight.report import PeriodError, parse_period, render_report
    from bot.insight.sources import SqlSources
    from bot.runtime.settings import Settings

    try:
        start, end = parse_period(args.since, args.until, datetime.now(timezone.utc))
    except PeriodError as error:
        print(f"Cannot make the report: {error}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    sources = SqlSources.from_urls(
        _tracker_url(args, settings), settings.database_url, settings.pseudonym_key
    )
    try:
        figures = figures_for(sources, start, end)
    finally:
        sources.close()
    args.out.write_text(render_report(figures), encoding="utf-8")
    print(
        f"Wrote {args.out}: {figures.overview.conversations.text} conversation(s) from "
        f"{start:%Y-%m-%d %H:%M}Z to {end:%Y-%m-%d %H:%M}Z."
    )
    return 0


def _period_options(command: argparse.ArgumentParser) -> None:
    """--since, --until and --endpoints of the insight commands."""
    command.add_argument(
        "--since",
        default="7d",
        help="the period's start: 7d, 2w (back from --until) or a date such as 2026-11-01",
    )
    command.add_argument(
        "--until", default=None, help="the period's last day, included (default: up to now)"
    )
    command.add_argument(
        "--endpoints",
        type=Path,
        default=None,
        help="endpoints file naming Rasa's tracker store (default as for `asf-bot privacy`)",
    )


def _insight_digest(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from sqlalchemy.exc import IntegrityError

    from bot.domain.digest import Span
    from bot.insight.figures import STOCKHOLM
    from bot.insight.report import PeriodError, parse_period
    from bot.insight.sources import SqlSources
    from bot.runtime.bootstrap import app_engine
    from bot.runtime.settings import Settings
    from bot.services.digest import digest_writer
    from bot.storage.conversations import tracker_store_engine
    from bot.storage.outbox import OutboxRepository

    now = datetime.now(timezone.utc)
    try:
        start, end = parse_period(args.since, args.until, now)
    except PeriodError as error:
        print(f"Cannot make the digest: {error}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    engine = app_engine(settings)
    tracker = tracker_store_engine(_tracker_url(args, settings), connections=1)
    try:
        mail = digest_writer(SqlSources(tracker, engine, settings.pseudonym_key), settings)(
            Span(start, end, STOCKHOLM), now
        )
        try:
            OutboxRepository(engine).add(mail)
        except IntegrityError:
            print(f"The digest {mail.reference} is in the outbox already.", file=sys.stderr)
            return 1
    finally:
        tracker.dispose()
        engine.dispose()
    print(
        f"Put the digest {mail.reference} in the outbox, to INSIGHT_EMAIL or else "
        "STAFF_EMAIL; the mail worker sends it (asf-bot run starts one)."
    )
    return 0


def _mail_worker(args: argparse.Namespace) -> int:
    from bot.mail.__main__ import main

    main(args.rest)
    return 0


def _mail_sink(args: argparse.Namespace) -> int:
    from bot.mail.sink import main

    main(args.rest)
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.runtime.chat import chat

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
        "run", help="start the action server, the Rasa server, the web app and the mail worker"
    )
    run.add_argument("--rasa-port", type=int, default=defaults.rasa_port)
    run.add_argument("--action-port", type=int, default=defaults.action_port)
    run.add_argument(
        "--web-port", type=int, default=None, help="web app's port (default: WEB_PORT or 8080)"
    )
    for option, server, variable in (
        ("--rasa-host", "Rasa server", "RASA_HOST"),
        ("--action-host", "action server", "ACTION_HOST"),
        ("--web-host", "web app", "WEB_HOST"),
    ):
        run.add_argument(
            option, default=None, help=f"address the {server} listens on ({variable}, 127.0.0.1)"
        )
    run.add_argument(
        "--mail-port",
        type=int,
        default=defaults.mail_port,
        help="local SMTP sink's port when SMTP_HOST is unset",
    )
    run.add_argument("--model", type=Path, default=defaults.model)
    run.add_argument("--var-dir", type=Path, default=defaults.var_dir)
    run.add_argument(
        "--log-dir", type=Path, default=None, help="write each server's log to DIR/<server>.log"
    )
    run.set_defaults(handler=_run)

    cluster = commands.add_parser(
        "cluster",
        help="run replicas behind HAProxy on PostgreSQL and Redis, on this machine",
        description="HAProxy in front of Rasa, action-server and web-app replicas, and mail "
        "workers, all on PostgreSQL (DATABASE_URL, TRACKER_STORE_URL) and Redis (REDIS_URL); "
        "unset, they are the local ones (postgresql://postgres@127.0.0.1:5432/asf, "
        "redis://127.0.0.1:6379/0).",
    )
    for option, what in (
        ("--rasa", "Rasa servers"),
        ("--actions", "action servers"),
        ("--web", "web apps"),
        ("--mail-workers", "mail workers"),
    ):
        cluster.add_argument(option, type=int, default=2, help=f"number of {what} (2)")
    cluster.add_argument("--web-port", type=int, default=8080, help="HAProxy's web port (8080)")
    cluster.add_argument(
        "--rasa-port", type=int, default=5005, help="HAProxy's private Rasa port (5005)"
    )
    cluster.add_argument(
        "--action-port", type=int, default=5055, help="HAProxy's private actions port (5055)"
    )
    cluster.add_argument(
        "--replica-ports-from",
        type=int,
        default=None,
        metavar="PORT",
        help="the replicas' own ports, counted up from PORT: Rasa servers, action servers, "
        "web apps (default: 15005.., 15055.., 18080..)",
    )
    cluster.add_argument(
        "--mail-port",
        type=int,
        default=defaults.mail_port,
        help="local SMTP sink's port when SMTP_HOST is unset (1025)",
    )
    cluster.add_argument(
        "--web-host", default="127.0.0.1", help="address HAProxy's web frontend listens on"
    )
    cluster.add_argument("--model", type=Path, default=defaults.model)
    cluster.add_argument("--var-dir", type=Path, default=defaults.var_dir / "cluster")
    cluster.add_argument(
        "--log-dir", type=Path, default=None, help="write each server's log to DIR/<server>.log"
    )
    cluster.set_defaults(handler=_cluster)

    haproxy = commands.add_parser(
        "haproxy-config",
        help="print HAProxy's configuration for replicas on several machines",
        description="Render deploy/haproxy.cfg.template: give each replica as HOST:PORT.",
    )
    haproxy.add_argument("--web-bind", default="*:8080", help="visitors' side (*:8080)")
    haproxy.add_argument("--rasa-bind", default="127.0.0.1:5005", help="private (127.0.0.1:5005)")
    haproxy.add_argument("--action-bind", default="127.0.0.1:5055", help="private (127.0.0.1:5055)")
    haproxy.add_argument(
        "--stats-socket",
        default="/run/haproxy/asf-hjalpen.sock",
        help="HAProxy's stats socket (/run/haproxy/asf-hjalpen.sock)",
    )
    for option, what in (
        ("--web", "web app"),
        ("--rasa", "Rasa server"),
        ("--actions", "action server"),
    ):
        haproxy.add_argument(
            option, action="append", required=True, metavar="HOST:PORT", help=f"a {what} (repeat)"
        )
    haproxy.set_defaults(handler=_haproxy_config)

    endpoints = commands.add_parser(
        "endpoints",
        help="write a Rasa server's endpoints file from the environment (several machines)",
        description="The action server at --action-url with ACTION_SERVER_TOKEN, the tracker "
        "store TRACKER_STORE_URL names, the lock store of REDIS_URL; readable by its user only.",
    )
    endpoints.add_argument(
        "--action-url", required=True, help="the action servers' HAProxy, e.g. http://10.0.0.2:5055"
    )
    endpoints.add_argument("--out", type=Path, required=True, help="where to write it")
    endpoints.set_defaults(handler=_endpoints)

    chat = commands.add_parser("chat", help="chat with a running bot in the terminal")
    chat.add_argument("--url", default=defaults.rasa_url)
    chat.set_defaults(handler=_chat)

    check = commands.add_parser(
        "check-content", help="check content/*.yml and show what visitors will be told"
    )
    check.set_defaults(handler=_check_content)

    db = commands.add_parser(
        "db-upgrade",
        help="create or upgrade the app database's schema (and Rasa's events table in "
        "TRACKER_STORE_URL)",
    )
    db.set_defaults(handler=_db_upgrade)

    stats = commands.add_parser(
        "checklist-stats", help="advisers' statistics of completed checklists (anonymous)"
    )
    stats.set_defaults(handler=_checklist_stats)

    privacy = commands.add_parser(
        "privacy", help="visitors' e-mail addresses: export, delete, purge past retention"
    )
    privacy.add_argument(
        "--endpoints",
        type=Path,
        default=None,
        help="endpoints file naming Rasa's tracker store (default: TRACKER_STORE_URL when "
        "set, else var/endpoints.yml written by `asf-bot run`, else endpoints.yml)",
    )
    privacy.set_defaults(handler=_privacy)
    actions = privacy.add_subparsers(dest="privacy_command", required=True)
    export = actions.add_parser("export", help="print everything stored about ADDRESS as JSON")
    export.add_argument("address")
    delete = actions.add_parser(
        "delete", help="delete ADDRESS, its consent records and the conversations it was given in"
    )
    delete.add_argument("address")
    actions.add_parser("purge", help="delete everything past its retention deadline")

    tickets = commands.add_parser("tickets", help="staff mail of tickets: list, retry")
    ticket_commands = tickets.add_subparsers(dest="tickets_command", required=True)
    listing = ticket_commands.add_parser("list", help="tickets and the state of their mail")
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--failed", action="store_true", help="only mail that failed for good")
    which.add_argument("--pending", action="store_true", help="only mail waiting to be sent")
    listing.set_defaults(handler=_tickets_list)
    retry = ticket_commands.add_parser("retry", help="send a failed ticket's mail again")
    retry.add_argument("reference", help="e.g. ASF-2026-000123")
    retry.set_defaults(handler=_tickets_retry)

    insight = commands.add_parser(
        "insight", help="staff insight: what visitors asked and where the bot fell short"
    )
    insight_commands = insight.add_subparsers(dest="insight_command", required=True)
    report = insight_commands.add_parser(
        "report",
        help="write a self-contained HTML report of a period (Swedish, charts inline)",
        description="Figures from Rasa's tracker store (redacted) and the app database "
        "(DATABASE_URL). Days are counted in Swedish time.",
    )
    _period_options(report)
    report.add_argument("--out", type=Path, default=Path("report.html"), help="report.html")
    report.set_defaults(handler=_insight_report)
    digest = insight_commands.add_parser(
        "digest",
        help="put the staff digest of a period in the outbox now (the worker mails it)",
        description="The weekly digest's mail, for any period and at once, beside the "
        "period of the same length before it; to INSIGHT_EMAIL or STAFF_EMAIL.",
    )
    _period_options(digest)
    digest.set_defaults(handler=_insight_digest)

    worker = commands.add_parser(
        "mail-worker", help="send staff mail from the outbox (asf-bot run starts it)"
    )
    worker.add_argument("rest", nargs=argparse.REMAINDER)
    worker.set_defaults(handler=_mail_worker)

    sink = commands.add_parser(
        "mail-sink", help="local SMTP sink writing mail to var/mail/ (asf-bot run starts it)"
    )
    sink.add_argument("rest", nargs=argparse.REMAINDER)
    sink.set_defaults(handler=_mail_sink)

    nlp = commands.add_parser("nlp-build", help="build the Swedish spaCy pipeline")
    nlp.add_argument("rest", nargs=argparse.REMAINDER)
    nlp.set_defaults(handler=_nlp_build)
    return root


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `asf-bot` command."""
    from bot.runtime.log_redaction import install

    install()
    args = parser().parse_args(argv)
    sys.exit(args.handler(args))
