"""The aiohttp application factory."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import jinja2
import redis.asyncio
from aiohttp import web

from bot.runtime.bootstrap import app_engine
from bot.runtime.settings import Settings
from bot.services.content import ContentRepository
from bot.services.feedback import FeedbackService
from bot.storage.feedback import FeedbackRepository
from bot.web.keys import (
    CONTENT,
    FEEDBACK,
    LIMITER,
    MESSAGES,
    RASA,
    SETTINGS,
    TEMPLATES,
    WIDGET_SCRIPT,
)
from bot.web.messages import load_texts, widget_script
from bot.web.middleware import add_security_headers
from bot.web.rasa import RasaClient
from bot.web.ratelimit import RateLimiter, RedisRateLimiter
from bot.web.routes import setup_routes

HERE = Path(__file__).resolve().parent

# A chat message is a few hundred characters; JSON escaping can make each one six bytes.
# Anything larger is refused before it is read (and answered as "too long").
MAX_REQUEST_BYTES = 16 * 1024
# Redis is on the same network as the web apps: when it takes longer than this, the
# rate limit is checked by this app alone rather than keep the visitor waiting.
REDIS_TIMEOUT = 1.0


async def _rasa_client(app: web.Application) -> AsyncIterator[None]:
    """One HTTP client session to Rasa for the app's lifetime."""
    settings = app[SETTINGS]
    # At most this many requests at Rasa at once; aiohttp queues the rest in arrival
    # order, and the wait counts towards RASA_TIMEOUT.
    connector = aiohttp.TCPConnector(limit=settings.rasa_max_in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:
        app[RASA] = RasaClient(
            session, settings.rasa_url, settings.rasa_timeout, settings.rasa_token
        )
        yield


async def _app_database(app: web.Application) -> AsyncIterator[None]:
    """The app database, where visitors' votes on answers go, for the app's lifetime."""
    settings = app[SETTINGS]
    # The engine connects on first use: pages and chat work even while it is away.
    engine = app_engine(settings)
    app[FEEDBACK] = FeedbackService(FeedbackRepository(engine), settings.pseudonym_key)
    try:
        yield
    finally:
        engine.dispose()


def _shared_rate_limits(
    clock: Callable[[], float] | None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Rate limits in Redis, shared with the other web apps, for the app's lifetime."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        client = redis.asyncio.Redis.from_url(
            settings.redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        app[LIMITER] = RedisRateLimiter(
            client,
            burst=settings.rate_limit_burst,
            per_minute=settings.rate_limit_per_minute,
            clock=clock or time.time,
            fallback=_local_rate_limits(settings, clock),
        )
        try:
            yield
        finally:
            await client.close(close_connection_pool=True)

    return context


def _local_rate_limits(settings: Settings, clock: Callable[[], float] | None) -> RateLimiter:
    """Rate limits in this app's memory."""
    return RateLimiter(
        burst=settings.rate_limit_burst,
        per_minute=settings.rate_limit_per_minute,
        clock=clock or time.monotonic,
    )


def create_app(
    settings: Settings | None = None, clock: Callable[[], float] | None = None
) -> web.Application:
    """Return the web app for `settings` (from the environment when not given).

    `clock` times the rate limits (default: the monotonic clock in memory, the wall
    clock when they are shared in Redis through REDIS_URL).
    """
    settings = settings or Settings.from_env()
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[SETTINGS] = settings
    app[CONTENT] = ContentRepository(settings.content_dir)
    app[MESSAGES] = load_texts()
    source = (HERE / "static" / "widget.js").read_text(encoding="utf-8")
    app[WIDGET_SCRIPT] = widget_script(source, app[MESSAGES]).encode("utf-8")
    if settings.redis_url:
        app.cleanup_ctx.append(_shared_rate_limits(clock))
    else:
        app[LIMITER] = _local_rate_limits(settings, clock)
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app.cleanup_ctx.append(_rasa_client)
    app.cleanup_ctx.append(_app_database)
    app.on_response_prepare.append(add_security_headers)
    setup_routes(app, HERE / "static")
    return app
