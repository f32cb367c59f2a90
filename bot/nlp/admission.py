"""The Rasa server works on a few messages at once, the others waiting in arrival order.

Rasa handles every message that arrives at once on one event loop, a little of each at
every await: a message that calls the action server four times then waits four rounds of
everything else, and one that calls it never waits one. Under load that spreads the
waits: with fifty conversations at Rasa's REST channel, p95 was 1.8 times p50. The web app
already sends at most RASA_MAX_IN_FLIGHT messages at once (bot/web/app.py); the same limit
here holds for every channel and for several web apps in front of one Rasa server, so that
each message waits about as long as the others (bench/results/scale.md).

The gate (an asyncio.Semaphore) is taken inside Rasa's per-conversation lock (around
`MessageProcessor.handle_message`): a message waiting for its conversation's lock holds no
place, so messages of one conversation never block the others' places.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.processor import MessageProcessor

_original_handle_message = MessageProcessor.handle_message


def install(limit: int) -> None:
    """Let the Rasa server work on at most `limit` messages at once."""
    # Python 3.10.13's Semaphore is fair (bpo-45997): a place freed while others wait
    # goes to the longest waiting, not to a newcomer.
    gate = asyncio.Semaphore(limit)

    async def handle_message(self: MessageProcessor, message: Any) -> Any:
        async with gate:
            return await _original_handle_message(self, message)

    MessageProcessor.handle_message = handle_message  # type: ignore[method-assign]
