"""The counselling view's endpoints: a conversation's checklist, and its summary as a page
and as a PDF, all read from Rasa's tracker (redacted, as Rasa stores it).

The session id arrives in the POST body, never in a URL: URLs reach logs and browser
history, and whoever holds a session id can read that conversation's checklist.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.domain.checklist import CRITERIA, change_payload
from bot.services.summary import (
    SLOT_PREFIX,
    Summary,
    build_summary,
    checklist_answers,
    criterion_lines,
    local_today,
    render_summary_html,
    render_summary_pdf,
    verdict_text,
)
from bot.web.handlers import is_session_id, unreachable_text
from bot.web.keys import CONTENT, MESSAGES, RASA
from bot.web.rasa import RasaUnavailable

# The form whose questions the panel follows (domain.yml).
CHECKLIST_FORM = "checklist_form"
# A summary is one founder's: no shared cache or browser history may keep it.
NO_STORE = {"Cache-Control": "no-store"}


class BadSession(ValueError):
    """The request names no usable session id."""


def _text(status: int, text: str) -> web.Response:
    """A plain-text answer for the summary's forms: the browser shows it as the page."""
    return web.Response(
        text=text, status=status, content_type="text/plain", charset="utf-8", headers=NO_STORE
    )


async def _session_from_form(request: web.Request) -> str:
    form = await request.post()
    session = form.get("session")
    if not is_session_id(session):
        raise BadSession
    return session


def _asking(state: dict[str, Any]) -> str | None:
    """The criterion the checklist form is asking now, if it is running."""
    active_loop = state.get("active_loop")
    if not isinstance(active_loop, dict) or active_loop.get("name") != CHECKLIST_FORM:
        return None
    requested = state["slots"].get("requested_slot")
    if not isinstance(requested, str) or not requested.startswith(SLOT_PREFIX):
        return None
    criterion = requested.removeprefix(SLOT_PREFIX)
    return criterion if criterion in CRITERIA else None


async def checklist(request: web.Request) -> web.Response:
    """The conversation's six criteria, each answer and outcome, the verdict once complete."""
    # The counselling view is the advisers' own, in Swedish.
    messages = request.app[MESSAGES].messages()
    try:
        body: Any = await request.json()
    except (web.HTTPRequestEntityTooLarge, ValueError, UnicodeDecodeError):
        return web.json_response({"message": messages.bad_request}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"message": messages.bad_request}, status=400)
    session = body.get("session")
    if not is_session_id(session):
        return web.json_response({"message": messages.bad_session}, status=400)
    try:
        state = await request.app[RASA].tracker(session)
    except RasaUnavailable:
        return web.json_response({"message": unreachable_text(request)}, status=503)
    texts = request.app[CONTENT].checklist()
    answers = checklist_answers(state["slots"])
    lines = criterion_lines(answers, texts)
    return web.json_response(
        {
            "criteria": [
                {
                    "criterion": line.criterion,
                    "label": line.label,
                    "question": line.question,
                    "answer": line.answer.value if line.answer else None,
                    "answer_text": line.answer_text,
                    "outcome": line.outcome.value if line.outcome else None,
                    "outcome_text": line.outcome_text,
                    # Sent through the chat, so the bot's own form asks the question again.
                    "change_payload": change_payload(line.criterion),
                }
                for line in lines
            ],
            "asking": _asking(state),
            "complete": all(line.answer is not None for line in lines),
            "verdict": verdict_text(answers, texts),
        }
    )


async def _summary(request: web.Request) -> Summary | web.Response:
    """The summary of the form's session; a response instead when there is none to make."""
    try:
        session = await _session_from_form(request)
    except (BadSession, web.HTTPRequestEntityTooLarge, ValueError, UnicodeDecodeError):
        return _text(400, request.app[MESSAGES].messages().bad_session)
    try:
        state = await request.app[RASA].tracker(session)
    except RasaUnavailable:
        return _text(503, unreachable_text(request))
    return build_summary(state["slots"], request.app[CONTENT], local_today())


async def summary_page(request: web.Request) -> web.Response:
    """The printable summary of the meeting (POST, form field `session`)."""
    summary = await _summary(request)
    if isinstance(summary, web.Response):
        return summary
    html = render_summary_html(summary)
    return web.Response(text=html, content_type="text/html", headers=NO_STORE)


async def summary_pdf(request: web.Request) -> web.Response:
    """The summary as a PDF download (POST, form field `session`)."""
    summary = await _summary(request)
    if isinstance(summary, web.Response):
        return summary
    # WeasyPrint blocks for a few hundred milliseconds: not on the event loop.
    pdf = await asyncio.to_thread(render_summary_pdf, summary)
    filename = f"sammanfattning-{summary.date.isoformat()}.pdf"
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
