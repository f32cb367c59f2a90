"""`python -m bot.web --port 8080`: run the web app (demo page, widget, chat proxy)."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace

from aiohttp import web

from bot.runtime.log_redaction import install as install_log_redaction
from bot.runtime.settings import Settings
from bot.web.app import create_app


def main(argv: list[str] | None = None) -> None:
    """Run the web app until SIGINT or SIGTERM."""
    install_log_redaction()
    parser = argparse.ArgumentParser(prog="python -m bot.web", description=__doc__)
    parser.add_argument("--host", help="address to listen on (WEB_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (WEB_PORT, default 8080)")
    parser.add_argument("--rasa-url", help="Rasa server (RASA_URL, default localhost:5005)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    overrides = {"web_host": args.host, "web_port": args.port, "rasa_url": args.rasa_url}
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # No access log: it would keep visitors' IP addresses for no purpose of the bot.
    web.run_app(
        create_app(settings),
        host=settings.web_host,
        port=settings.web_port,
        access_log=None,
        print=lambda _: logging.getLogger("bot.web").info(
            "Web app on http://%s:%d (chat proxy to %s)",
            settings.web_host,
            settings.web_port,
            settings.rasa_url,
        ),
    )


if __name__ == "__main__":
    main()
