"""`python -m bot.mail`: run the mail worker until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from dataclasses import replace

from bot.mail.worker import MailWorker, RetryPolicy, SmtpServer
from bot.runtime.bootstrap import app_engine
from bot.runtime.settings import Settings
from bot.storage.outbox import OutboxRepository

log = logging.getLogger("bot.mail")


async def serve(settings: Settings, server: SmtpServer) -> None:
    """Deliver the outbox's mail until a stop signal arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Sized as the action server's pool (DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW): what
    # every process may open must fit in PostgreSQL's max_connections.
    engine = app_engine(settings)
    worker = MailWorker(OutboxRepository(engine), server, RetryPolicy.from_settings(settings))
    log.info("Mail worker delivering mail via %s:%d", server.host, server.port)
    try:
        await worker.run(stop)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the worker."""
    parser = argparse.ArgumentParser(prog="python -m bot.mail", description=__doc__)
    parser.add_argument("--smtp-host", help="overrides SMTP_HOST (asf-bot run: the local sink)")
    parser.add_argument("--smtp-port", type=int, help="overrides SMTP_PORT")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    server = SmtpServer.from_settings(settings)
    if args.smtp_host:
        # The local sink: plain SMTP on loopback, no login.
        server = SmtpServer(host=args.smtp_host, port=args.smtp_port or server.port)
    elif args.smtp_port:
        server = replace(server, port=args.smtp_port)
    asyncio.run(serve(settings, server))


if __name__ == "__main__":
    main()
