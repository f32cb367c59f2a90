"""A terminal chat with a running bot over Rasa's REST channel."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any


def send(rasa_url: str, sender: str, message: str, timeout: float = 30) -> list[dict[str, Any]]:
    """Send one message to the REST channel and return the bot's replies."""
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def render(replies: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """Return the replies as terminal text, and the payloads of their numbered buttons."""
    lines: list[str] = []
    payloads: list[str] = []
    for reply in replies:
        if reply.get("text"):
            lines.append(f"bot> {reply['text']}")
        for button in reply.get("buttons") or []:
            payloads.append(button["payload"])
            lines.append(f"     [{len(payloads)}] {button['title']}")
    return "\n".join(lines), payloads


def chat(
    rasa_url: str,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Chat until end of input; a number picks one of the last buttons."""
    sender = f"terminal-{secrets.token_hex(4)}"
    write("Skriv din fråga (Ctrl-D avslutar).")
    payloads: list[str] = []
    while True:
        try:
            message = read("du> ").strip()
        except EOFError:
            write("")
            return
        if not message:
            continue
        if message.isdigit() and 0 < int(message) <= len(payloads):
            message = payloads[int(message) - 1]
        try:
            text, payloads = render(send(rasa_url, sender, message))
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            write(f"The bot at {rasa_url} cannot be reached ({error}). Is `make run` running?")
            continue
        write(text)
