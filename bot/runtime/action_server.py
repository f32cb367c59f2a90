"""`python -m bot.runtime.action_server --actions actions`: Rasa's action server, closed.

Three things differ from rasa_sdk's own `rasa run actions`:
- it listens on loopback unless told otherwise (`--host`, ACTION_HOST; rasa_sdk binds
  every interface, or SANIC_HOST);
- it answers only calls that carry the shared secret ACTION_SERVER_TOKEN in the
  `Authorization: Bearer ...` header (the Rasa server sends it, see endpoints.yml and
  bot/runtime/launcher.py); /health stays open for load balancers and the launcher;
- its logs are redacted, at the level LOG_LEVEL names, as the Rasa server's are (rasa_sdk
  itself only takes --debug / --quiet).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app as create_sdk_app
from rasa_sdk.endpoint import create_argument_parser, create_ssl_context
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.runtime.launcher import ACTION_SECRET_HEADER
from bot.runtime.log_redaction import install
from bot.runtime.settings import Settings, SettingsError

LEVEL_FLAGS = {"DEBUG": "--debug", "INFO": "--verbose", "WARNING": "--quiet"}
_ANY_LEVEL_FLAG = {"-v", "--verbose", "-vv", "--debug", "--quiet"}
# Paths anyone may call: the health check says nothing and runs nothing.
OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def arguments(argv: list[str], environ: dict[str, str]) -> list[str]:
    """Return rasa_sdk's arguments, with LOG_LEVEL's flag unless one is given."""
    flag = LEVEL_FLAGS.get(environ.get("LOG_LEVEL", "").upper())
    if flag and not _ANY_LEVEL_FLAG & set(argv):
        return [*argv, flag]
    return argv


def require_secret(app: Sanic, token: str) -> None:
    """Make `app` refuse every call but /health that lacks `Bearer <token>`."""
    expected = f"Bearer {token}".encode()

    @app.middleware("request")
    async def check_secret(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(ACTION_SECRET_HEADER, "").encode("utf-8", "replace")
        # In constant time: how long a refusal takes says nothing about the secret.
        if hmac.compare_digest(given, expected):
            return None
        logger.warning("Refused a call to %s without the action server's secret", request.path)
        return response.json(
            {"error": "the action server's secret is missing or wrong"},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )


def create_app(
    actions: str,
    token: str,
    cors_origins: str | list[str] | None = None,
    auto_reload: bool = False,
) -> Sanic:
    """Return rasa_sdk's Sanic app for `actions`, answering only calls with the secret."""
    app = create_sdk_app(actions, cors_origins=cors_origins, auto_reload=auto_reload)
    require_secret(app, token)
    return app


def parser() -> argparse.ArgumentParser:
    """Return rasa_sdk's argument parser with --host added."""
    parser = create_argument_parser()
    parser.add_argument("--host", help="address to listen on (ACTION_HOST, default 127.0.0.1)")
    return parser


def serve(args: argparse.Namespace, host: str, token: str) -> None:
    """Run the action server as rasa_sdk's main does, on `host`, with the secret checked."""
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    app = create_app(args.actions, token, args.cors, args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    protocol = "https" if ssl_context else "http"
    logger.info("Action endpoint is up and running on %s://%s:%d", protocol, host, args.port)
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


def main(argv: list[str] | None = None) -> None:
    """Install log redaction, check the settings, then run the action server."""
    install()
    args = parser().parse_args(arguments(sys.argv[1:] if argv is None else argv, dict(os.environ)))
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        sys.exit(f"The action server cannot start: {error}")
    if not settings.action_server_token:
        sys.exit(
            "The action server cannot start: ACTION_SERVER_TOKEN is not set (it answers only "
            "calls carrying that secret; `asf-bot run` makes one when it is unset)"
        )
    serve(args, args.host or settings.action_host, settings.action_server_token)


if __name__ == "__main__":
    main()
