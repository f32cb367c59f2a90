"""`python -m bot.mail`: run the mail worker (and the weekly digest) until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from dataclasses import replace
from pathlib import Path

from bot.insight.sources import SqlSources
from bot.mail.worker import MailWorker, RetryPolicy, SmtpServer
from bot.runtime.bootstrap import app_engine
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.services.digest import digest_scheduler
from bot.storage.conversations import tracker_store_engine, tracker_store_url
from bot.storage.outbox import OutboxRepository

log = logging.getLogger("bot.mail")


async def serve(settings: Settings, server: SmtpServer, endpoints: Path) -> None:
    """Deliver the outbox's mail until a stop signal arrives, writing the weekly digest.

    `endpoints` is the Rasa server's endpoints file: the digest reads conversations from
    its tracker store (TRACKER_STORE_URL, when set, instead).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Sized as the action server's pool (DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW): what
    # every process may open must fit in PostgreSQL's max_connections.
    engine = app_engine(settings)
    tracker = None
    scheduled = []
    if settings.insight_digest:
        # The digest reads conversations one query at a time: one connection is enough.
        tracker = tracker_store_engine(
            settings.tracker_store_url or tracker_store_url(endpoints, PROJECT_ROOT),
            connections=1,
        )
        sources = SqlSources(tracker, engine, settings.pseudonym_key)
        scheduled.append(digest_scheduler(engine, sources, settings).enqueue_due)
    worker = MailWorker(
        OutboxRepository(engine), server, RetryPolicy.from_settings(settings), scheduled=scheduled
    )
    log.info("Mail worker delivering mail via %s:%d", server.host, server.port)
    try:
        await worker.run(stop)
    finally:
        if tracker is not None:
            tracker.dispose()
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the worker."""
    parser = argparse.ArgumentParser(prog="python -m bot.mail", description=__doc__)
    parser.add_argument("--smtp-host", help="overrides SMTP_HOST (asf-bot run: the local sink)")
    parser.add_argument("--smtp-port", type=int, help="overrides SMTP_PORT")
    parser.add_argument(
        "--endpoints",
        type=Path,
        default=PROJECT_ROOT / "endpoints.yml",
        help="the Rasa server's endpoints file, for the weekly digest's tracker store",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    server = SmtpServer.from_settings(settings)
    if args.smtp_host:
        # The local sink: plain SMTP on loopback, no login.
        server = SmtpServer(host=args.smtp_host, port=args.smtp_port or server.port)
    elif args.smtp_port:
        server = replace(server, port=args.smtp_port)
    asyncio.run(serve(settings, server, args.endpoints))


if __name__ == "__main__":
    main()
