"""Request handlers: parse, call one thing, map the outcome to HTTP."""

from __future__ import annotations

import math
import re
from typing import Any

from aiohttp import web

from bot.domain.text_input import Problem, check_message
from bot.services.content import ContentError
from bot.web.keys import CONTENT, LIMITER, MESSAGES, RASA, SETTINGS, TEMPLATES
from bot.web.rasa import RasaUnavailable

# The widget makes its session id from 24 random bytes, base64url: 32 characters.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def is_session_id(value: Any) -> bool:
    """True if `value` is a session id as the widget makes them."""
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


def _page(request: web.Request, template: str) -> web.Response:
    html = request.app[TEMPLATES].get_template(template).render()
    return web.Response(text=html, content_type="text/html")


async def index(request: web.Request) -> web.Response:
    """The demo page: an agency page about ASF with the widget embedded."""
    return _page(request, "index.html")


async def privacy(request: web.Request) -> web.Response:
    """The privacy statement, word for word from the agency page."""
    return _page(request, "privacy.html")


async def counselling(request: web.Request) -> web.Response:
    """The counselling view: the chat beside the checklist's criteria, for advisers."""
    return _page(request, "radgivning.html")


async def health(request: web.Request) -> web.Response:
    """Liveness of the web app itself (Rasa's own health is Rasa's /status)."""
    return web.json_response({"status": "ok"})


def _refuse(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"message": message}, status=status, headers=headers)


def unreachable_text(request: web.Request, nothing_said: bool = False) -> str:
    """The message that offers a retry: Rasa could not be reached, or said nothing."""
    messages = request.app[MESSAGES]
    with_phone, without_phone = (
        (messages.no_answer, messages.no_answer_without_phone)
        if nothing_said
        else (messages.unreachable, messages.unreachable_without_phone)
    )
    try:
        return with_phone.format(phone=request.app[CONTENT].contact().phone)
    except ContentError:
        return without_phone


def _unreachable(request: web.Request, nothing_said: bool = False) -> web.Response:
    """503 with a message that offers a retry: Rasa could not be reached, or said nothing."""
    return _refuse(503, unreachable_text(request, nothing_said))


async def chat(request: web.Request) -> web.Response:
    """Pass one visitor message to Rasa and return its replies (text and buttons)."""
    messages = request.app[MESSAGES]
    settings = request.app[SETTINGS]
    too_long = messages.too_long.format(max_length=settings.max_message_length)
    try:
        body: Any = await request.json()
    except web.HTTPRequestEntityTooLarge:
        return _refuse(413, too_long)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, messages.bad_request)
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return _refuse(400, messages.bad_request)
    session = body.get("session")
    if not is_session_id(session):
        return _refuse(400, messages.bad_session)
    # The same cleaning as Rasa's channel (bot/nlp/channel.py): the limit counts what the
    # bot would read, and a character Rasa cannot read never reaches it.
    checked = check_message(body["message"], settings.max_message_length)
    if checked.problem is not None:
        refusals = {
            Problem.EMPTY: messages.empty,
            Problem.UNREADABLE: messages.unreadable,
            Problem.TOO_LONG: too_long,
        }
        return _refuse(422, refusals[checked.problem])

    decision = await request.app[LIMITER].check(session)
    if not decision.allowed:
        retry_after = str(max(1, math.ceil(decision.retry_after)))
        return _refuse(429, messages.rate_limited, **{"Retry-After": retry_after})
    try:
        replies = await request.app[RASA].send(session, checked.text)
    except RasaUnavailable:
        return _unreachable(request)
    if not replies:
        # Rasa handled the message but has nothing to show: an action failed midway (its
        # server died, say), and Rasa went on without its events. Never silence.
        return _unreachable(request, nothing_said=True)
    return web.json_response({"replies": replies})
