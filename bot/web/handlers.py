"""Request handlers: parse, call one thing, map the outcome to HTTP."""

from __future__ import annotations

import math
import re
from typing import Any

from aiohttp import web

from bot.domain.text_input import Problem, check_message
from bot.domain.variants import Variant, variant_of
from bot.services.content import ContentError
from bot.web.keys import CONTENT, LIMITER, MESSAGES, RASA, SETTINGS, TEMPLATES, WIDGET_SCRIPT
from bot.web.messages import Messages
from bot.web.rasa import READINGS, RasaUnavailable

# The widget makes its session id from 24 random bytes, base64url: 32 characters.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def is_session_id(value: Any) -> bool:
    """True if `value` is a session id as the widget makes them."""
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


def requested_variant(body: Any) -> Variant:
    """The variant the widget shows (`lang`, `reading` in the body): the chat API's own
    answers are in it. Anything else reads as Swedish."""
    if not isinstance(body, dict):
        return Variant.SV
    return variant_of(body.get("lang"), body.get("reading"))


def messages_for(request: web.Request, body: Any = None) -> Messages:
    """The chat API's texts in the variant the request's body asks for."""
    return request.app[MESSAGES].messages(requested_variant(body))


def _page(request: web.Request, template: str, **context: Any) -> web.Response:
    html = request.app[TEMPLATES].get_template(template).render(**context)
    return web.Response(text=html, content_type="text/html")


PRIVACY_LINK = "tillvaxtverket.se/personuppgifter"
# content/privacy.yml's English statement ends with the binding Swedish one after this.
SWEDISH_APPLIES = "\nThe Swedish text applies:"


def _linked(text: str) -> tuple[str, str, str] | None:
    """The text cut around the agency's privacy page address, to link it; None if empty."""
    if not text:
        return None
    before, link, after = text.partition(PRIVACY_LINK)
    return before, link, after


def privacy_translations(request: web.Request) -> dict[str, tuple[str, str, str] | None]:
    """The statement in English and in lättläst as the bot says it (content/privacy.yml),
    without the binding Swedish text the English one ends with; None where the content
    cannot be read (the page then shows the Swedish statement alone)."""
    content = request.app[CONTENT]

    def statement(variant: Variant) -> str:
        try:
            text = content.privacy(variant).statement
        except ContentError:
            return ""
        return text.split(SWEDISH_APPLIES)[0].strip()

    return {
        "english": _linked(statement(Variant.EN)),
        "lattlast": _linked(statement(Variant.LATTLAST)),
    }


async def index(request: web.Request) -> web.Response:
    """The demo page: an agency page about ASF with the widget embedded."""
    return _page(request, "index.html")


async def privacy(request: web.Request) -> web.Response:
    """The privacy statement, word for word from the agency page, and the bot's English
    and lättläst versions of it below (the Swedish text applies)."""
    return _page(request, "privacy.html", **privacy_translations(request))


async def counselling(request: web.Request) -> web.Response:
    """The counselling view: the chat beside the checklist's criteria, for advisers."""
    return _page(request, "radgivning.html")


async def widget(request: web.Request) -> web.Response:
    """widget.js, with the widget's texts in all three variants in it (messages.yml)."""
    return web.Response(
        body=request.app[WIDGET_SCRIPT],
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def health(request: web.Request) -> web.Response:
    """Liveness of the web app itself (Rasa's own health is Rasa's /status)."""
    return web.json_response({"status": "ok"})


def _refuse(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"message": message}, status=status, headers=headers)


def unreachable_text(
    request: web.Request, nothing_said: bool = False, messages: Messages | None = None
) -> str:
    """The message that offers a retry: Rasa could not be reached, or said nothing."""
    messages = messages or request.app[MESSAGES].messages()
    with_phone, without_phone = (
        (messages.no_answer, messages.no_answer_without_phone)
        if nothing_said
        else (messages.unreachable, messages.unreachable_without_phone)
    )
    try:
        return with_phone.format(phone=request.app[CONTENT].contact().phone)
    except ContentError:
        return without_phone


def _unreachable(
    request: web.Request, messages: Messages, nothing_said: bool = False
) -> web.Response:
    """503 with a message that offers a retry: Rasa could not be reached, or said nothing."""
    return _refuse(503, unreachable_text(request, nothing_said, messages))


async def chat(request: web.Request) -> web.Response:
    """Pass one visitor message to Rasa and return its replies (text and buttons) and the
    conversation's variant after it (`lang` sv|en, `reading` standard|lattlast).

    The body may say which variant the widget shows (`lang`, `reading`): a message that is
    refused is answered in it. What the bot answers follows the conversation's slots.
    """
    settings = request.app[SETTINGS]
    try:
        body: Any = await request.json()
    except web.HTTPRequestEntityTooLarge:
        messages = messages_for(request)
        return _refuse(413, messages.too_long.format(max_length=settings.max_message_length))
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, messages_for(request).bad_request)
    messages = messages_for(request, body)
    too_long = messages.too_long.format(max_length=settings.max_message_length)
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
        answer = await request.app[RASA].send(session, checked.text)
    except RasaUnavailable:
        return _unreachable(request, messages)
    if not answer.replies:
        # Rasa handled the message but has nothing to show: an action failed midway (its
        # server died, say), and Rasa went on without its events. Never silence.
        return _unreachable(request, messages, nothing_said=True)
    # When Rasa does not say (a refusal of its channel), the widget's variant stays.
    asked = body.get("reading") if body.get("reading") in READINGS else "standard"
    return web.json_response(
        {
            "replies": answer.replies,
            "lang": answer.lang or ("en" if body.get("lang") == "en" else "sv"),
            "reading": answer.reading or asked,
        }
    )
