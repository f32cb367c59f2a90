"""Forward a visitor's message to Rasa's REST channel and return the bot's replies."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, answered with an error, or answered something unreadable."""


def _replies(data: Any) -> list[dict[str, Any]]:
    """Keep only what the widget shows: text and buttons, as plain strings."""
    if not isinstance(data, list):
        raise RasaUnavailable(f"expected a list of replies, got {type(data).__name__}")
    replies = []
    for item in data:
        if not isinstance(item, dict):
            continue
        text = item.get("text") if isinstance(item.get("text"), str) else ""
        buttons = [
            {"title": str(button["title"]), "payload": str(button["payload"])}
            for button in item.get("buttons") or []
            if isinstance(button, dict) and button.get("title") and button.get("payload")
        ]
        if text or buttons:
            replies.append({"text": text, "buttons": buttons})
    return replies


class RasaClient:
    """Talks to one Rasa server's REST channel over a shared aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, rasa_url: str, timeout: float) -> None:
        self._session = session
        self._url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        """Send one message as `sender` and return the replies; RasaUnavailable if none came."""
        try:
            async with self._session.post(
                self._url,
                json={"sender": sender, "message": message},
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                return _replies(await response.json(content_type=None))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, RasaUnavailable) as error:
            # No message text in the log: it may hold personal data.
            log.warning("Rasa at %s gave no answer: %r", self._url, error)
            if isinstance(error, RasaUnavailable):
                raise
            raise RasaUnavailable(str(error)) from error
