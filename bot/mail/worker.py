"""The mail worker: sends due outbox mail over SMTP (tickets to staff, summaries to
founders), with retries and a lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import aiosmtplib

from bot.runtime.settings import Settings
from bot.storage.outbox import OutboxRepository, OutgoingMail

log = logging.getLogger(__name__)

# Where the local sink listens unless told otherwise (asf-bot run --mail-port).
SINK_PORT = 1025

# Servers often quote the address they refuse; it is logged and stored as "<address>".
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how the worker hands mail over."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool | None = None
    timeout: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer:
        """Return the relay the settings name; the local sink when SMTP_HOST is unset."""
        if not settings.smtp_host:
            return cls(host="127.0.0.1", port=SINK_PORT, timeout=settings.smtp_timeout)
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
        )


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait after a temporary failure, and how long a claim holds."""

    first_delay: float = 30.0
    max_delay: float = 3600.0
    lease: float = 300.0
    poll: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            first_delay=settings.mail_retry_seconds,
            max_delay=settings.mail_retry_max_seconds,
            lease=settings.mail_lease_seconds,
            poll=settings.mail_poll_seconds,
        )

    def delay(self, attempts: int) -> timedelta:
        """Return the wait after the attempts-th failed attempt: doubled each time, capped."""
        seconds = min(self.first_delay * 2 ** max(attempts - 1, 0), self.max_delay)
        return timedelta(seconds=seconds)


class PermanentFailure(Exception):
    """The server refused the mail for good (5xx): sending again will not help."""


def scrub(text: str) -> str:
    """Return the text with every e-mail address replaced, on one line, at most 500 chars."""
    return " ".join(_ADDRESS.sub("<address>", text).split())[:500]


def _describe(error: BaseException) -> str:
    # The server's code and text, never the message or the addresses we sent.
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return scrub(f"{error.code} {error.message}")
    return scrub(f"{type(error).__name__}: {error}")


def classify(error: BaseException) -> BaseException:
    """Return PermanentFailure for a 5xx answer; the error itself for anything temporary."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
        if codes and all(500 <= code < 600 for code in codes):
            details = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
            return PermanentFailure(scrub(f"recipient refused: {details}"))
        return error
    if isinstance(error, aiosmtplib.SMTPResponseException) and 500 <= error.code < 600:
        return PermanentFailure(_describe(error))
    return error


class MailWorker:
    """Claims due outbox rows one at a time and sends each with its stable Message-ID."""

    def __init__(
        self,
        repository: OutboxRepository,
        server: SmtpServer,
        policy: RetryPolicy = RetryPolicy(),
        clock: Callable[[], datetime] = _now,
        scheduled: Sequence[Callable[[datetime], object]] = (),
    ) -> None:
        self._repository = repository
        self._server = server
        self._policy = policy
        self._clock = clock
        # Jobs that put mail in the outbox when its time comes (the weekly digest), run
        # before each round of delivery with the worker's clock.
        self._scheduled = tuple(scheduled)

    async def send(self, mail: OutgoingMail) -> None:
        """Hand one mail to the SMTP server; raises what aiosmtplib raises."""
        await aiosmtplib.send(
            mail.message,
            sender=mail.mail_from,
            recipients=[mail.mail_to],
            hostname=self._server.host,
            port=self._server.port,
            username=self._server.username,
            password=self._server.password,
            start_tls=self._server.starttls,
            timeout=self._server.timeout,
        )

    async def deliver_one(self) -> bool:
        """Claim and send one due mail; False when none is due."""
        lease = timedelta(seconds=self._policy.lease)
        mail = await asyncio.to_thread(self._repository.claim, self._clock(), lease)
        if mail is None:
            return False
        try:
            await self.send(mail)
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as error:
            outcome = classify(error)
            if isinstance(outcome, PermanentFailure):
                await asyncio.to_thread(self._repository.mark_failed, mail, str(outcome))
                log.error("Mail for %s failed for good: %s", mail.reference, outcome)
            else:
                at = self._clock() + self._policy.delay(mail.attempts)
                await asyncio.to_thread(self._repository.retry_later, mail, at, _describe(error))
                log.warning(
                    "Mail for %s not sent (attempt %d), retrying at %s: %s",
                    mail.reference,
                    mail.attempts,
                    at.isoformat(timespec="seconds"),
                    _describe(error),
                )
            return True
        # A crash right here, after the send and before the mark, sends the mail once
        # more when the lease runs out: at most one duplicate, with the same Message-ID.
        await asyncio.to_thread(self._repository.mark_sent, mail, self._clock())
        log.info("Mail for %s sent", mail.reference)
        return True

    async def deliver_due(self) -> int:
        """Send every mail that is due now; return how many were tried."""
        tried = 0
        while await self.deliver_one():
            tried += 1
        return tried

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver due mail until `stop` is set, looking again every poll interval."""
        while not stop.is_set():
            for job in self._scheduled:
                try:
                    await asyncio.to_thread(job, self._clock())
                except Exception:
                    # Mail already in the outbox must still go out.
                    log.exception("The mail worker could not run a scheduled job")
            try:
                await self.deliver_due()
            except Exception:
                # The database may be briefly unreachable: log, wait, try again.
                log.exception("The mail worker could not read the outbox")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._policy.poll)
