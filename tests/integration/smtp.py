"""A real SMTP server (aiosmtpd) for the mail tests, with answers the test can script."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    """One mail as the server received it: envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=default)


@dataclass
class ScriptedHandler:
    """Accepts mail, unless the test queued other answers for DATA or RCPT first."""

    received: list[Received] = field(default_factory=list)
    data_answers: list[str] = field(default_factory=list)
    rcpt_answers: list[str] = field(default_factory=list)
    # While set, DATA waits for the test to let it go (a delivery "in flight").
    hold: threading.Event | None = None
    holding: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if self.rcpt_answers:
            return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.hold is not None:
            self.holding.set()
            await asyncio.to_thread(self.hold.wait, 30)
            return "451 4.3.0 Interrupted"
        if self.data_answers:
            return self.data_answers.pop(0)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted"


class SmtpTestServer:
    """aiosmtpd on a loopback port, started and stopped by the test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = ScriptedHandler()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received
