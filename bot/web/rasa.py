"""Forward a visitor's message to Rasa's REST channel and return the bot's replies; read
a conversation's state (its slots) from Rasa's HTTP API."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.domain.feedback import answer_flags

log = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, answered with an error, or answered something unreadable."""


class NoRasaToken(RasaUnavailable):
    """The web app has no token for Rasa's HTTP API (RASA_TOKEN is unset)."""


LANGS = ("sv", "en")
READINGS = ("standard", "lattlast")


@dataclass(frozen=True)
class RasaAnswer:
    """The bot's replies to one message, and the conversation's variant after it as Rasa
    tells it (bot/nlp/channel.py): `lang` sv|en, `reading` standard|lattlast, None when
    no reply said."""

    replies: list[dict[str, Any]]
    lang: str | None = None
    reading: str | None = None


def _told(data: list[Any], key: str, allowed: tuple[str, ...]) -> str | None:
    """The value of `key` the replies tell (the last one that does), if it is allowed."""
    told = [item.get(key) for item in data if isinstance(item, dict)]
    known = [value for value in told if value in allowed]
    return known[-1] if known else None


def _answer(data: Any) -> RasaAnswer:
    """The replies and the variant they tell."""
    replies = _replies(data)
    return RasaAnswer(replies, _told(data, "lang", LANGS), _told(data, "reading", READINGS))


def _replies(data: Any) -> list[dict[str, Any]]:
    """Keep only what the widget shows: text and buttons as plain strings, the name of the
    response each reply came from, and whether it answers a question (then the widget asks
    for a vote under it)."""
    if not isinstance(data, list):
        raise RasaUnavailable(f"expected a list of replies, got {type(data).__name__}")
    kept: list[tuple[dict[str, Any], Any]] = []
    for item in data:
        if not isinstance(item, dict):
            continue
        text = item.get("text") if isinstance(item.get("text"), str) else ""
        buttons = [
            {"title": str(button["title"]), "payload": str(button["payload"])}
            for button in item.get("buttons") or []
            if isinstance(button, dict) and button.get("title") and button.get("payload")
        ]
        response = item.get("response") if isinstance(item.get("response"), str) else None
        if text or buttons:
            kept.append(({"text": text, "buttons": buttons, "response": response}, item))
    flags = answer_flags([(reply["response"], item.get("condition")) for reply, item in kept])
    replies = []
    for (reply, _), answer in zip(kept, flags, strict=True):
        # A reply of buttons alone asks for no vote.
        replies.append({**reply, "answer": answer and bool(reply["text"])})
    return replies


class RasaClient:
    """Talks to one Rasa server's REST channel over a shared aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        rasa_url: str,
        timeout: float,
        token: str | None = None,
    ) -> None:
        self._session = session
        self._base = rasa_url.rstrip("/")
        self._url = f"{self._base}/webhooks/rest/webhook"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._token = token

    async def send(self, sender: str, message: str) -> RasaAnswer:
        """Send one message as `sender` and return the replies and the conversation's
        variant; RasaUnavailable if none came."""
        try:
            async with self._session.post(
                self._url,
                json={"sender": sender, "message": message},
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                return _answer(await response.json(content_type=None))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, RasaUnavailable) as error:
            # No message text in the log: it may hold personal data.
            log.warning("Rasa at %s gave no answer: %r", self._url, error)
            if isinstance(error, RasaUnavailable):
                raise
            raise RasaUnavailable(str(error)) from error

    async def tracker(self, sender: str) -> dict[str, Any]:
        """Return the state of `sender`'s conversation as Rasa's tracker store holds it
        (redacted): its slots and active form, without its events.

        For a conversation Rasa does not know, Rasa answers with a fresh, empty state; its
        SQL tracker store writes nothing for it (an empty tracker has no events to save).
        """
        if not self._token:
            log.error(
                "RASA_TOKEN is not set: the web app cannot read conversations from Rasa's "
                "HTTP API (the counselling panel and summary answer 503)"
            )
            raise NoRasaToken("RASA_TOKEN is not set")
        # Rasa's HTTP API takes its token as a query parameter only. Neither the URL nor
        # an error's text (which may quote it) is logged: both hold the conversation id.
        url = f"{self._base}/conversations/{quote(sender, safe='')}/tracker"
        params = {"include_events": "NONE", "token": self._token}
        try:
            async with self._session.get(url, params=params, timeout=self._timeout) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                state = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, RasaUnavailable) as error:
            reason = str(error) if isinstance(error, RasaUnavailable) else type(error).__name__
            log.warning("Rasa at %s gave no conversation state: %s", self._base, reason)
            if isinstance(error, RasaUnavailable):
                raise
            raise RasaUnavailable(type(error).__name__) from error
        if not isinstance(state, dict) or not isinstance(state.get("slots"), dict):
            log.warning("Rasa at %s gave a conversation state without slots", self._base)
            raise RasaUnavailable("a conversation state without slots")
        return state
