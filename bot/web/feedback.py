"""The vote under an answer: POST /api/feedback {session, answer_id, response, vote}.

The widget sends it when the visitor presses 👍 or 👎 under one of the bot's answers, and
again when the visitor changes the vote; the stored row is then changed, not added to.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.feedback import InvalidVote, parse_ballot
from bot.web.handlers import is_session_id, messages_for
from bot.web.keys import FEEDBACK, LIMITER

log = logging.getLogger(__name__)

# Votes have their own bucket in the rate limiter: voting never uses up the messages a
# visitor may send (👎 sends one too: "det hjälpte inte").
RATE_KEY = "feedback:"


def _refuse(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"message": message}, status=status, headers=headers)


def from_this_site(request: web.Request) -> bool:
    """True unless the browser says the request comes from another site.

    A vote must be JSON: no form of another site can post that, and a script of another
    site would need a CORS preflight this app never answers. Browsers also name the
    requesting page's origin, which must then be this host.
    """
    if request.content_type != "application/json":
        return False
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


async def feedback(request: web.Request) -> web.Response:
    """Store the visitor's vote on one answer (204), or say why not (in the variant the
    body's `lang` and `reading` ask for, as the chat API does)."""
    messages = messages_for(request)
    if not from_this_site(request):
        return _refuse(403, messages.bad_request)
    try:
        body: Any = await request.json()
    except (web.HTTPRequestEntityTooLarge, ValueError, UnicodeDecodeError):
        return _refuse(400, messages.bad_request)
    if not isinstance(body, dict):
        return _refuse(400, messages.bad_request)
    messages = messages_for(request, body)
    session = body.get("session")
    if not is_session_id(session):
        return _refuse(400, messages.bad_session)
    try:
        ballot = parse_ballot(body.get("answer_id"), body.get("response"), body.get("vote"))
    except InvalidVote as error:
        log.info("A vote was refused: %s", error)
        return _refuse(422, messages.vote_refused)

    decision = await request.app[LIMITER].check(RATE_KEY + session)
    if not decision.allowed:
        retry_after = str(max(1, math.ceil(decision.retry_after)))
        return _refuse(429, messages.rate_limited, **{"Retry-After": retry_after})
    try:
        await asyncio.to_thread(request.app[FEEDBACK].vote, session, ballot)
    except SQLAlchemyError as error:
        # Neither the session id nor the statement (which holds it hashed) in the log.
        log.error("Could not store a vote: %s", type(error).__name__)
        return _refuse(503, messages.vote_failed)
    return web.Response(status=204)
