"""Use case: mail a counselling summary, as a PDF, to the founder who consented to it.

After the consent form (purpose "sammanfattning från rådgivning") the address is in a
consent record; the summary is built from the conversation's checklist slots
(bot.services.summary), rendered to PDF, composed into a mail and written to the outbox
in one transaction. The mail worker sends it like any other outbox mail, with retries.
If anything fails before the mail is written, the address is deleted again: it was
given for this mail only.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parseaddr

from bot.domain.consent import Purpose
from bot.domain.pseudonym import conversation_ref
from bot.domain.summary_mail import SummaryMailError, summary_reference
from bot.domain.ticket import TicketError, clean_reply_to
from bot.domain.variants import Variant
from bot.mail.compose import SummaryMail, compose_summary
from bot.services.content import ContentRepository
from bot.services.privacy import PrivacyService
from bot.services.summary import MEETING_TIMEZONE, build_summary, local_today, render_summary_pdf
from bot.storage.outbox import SUMMARY, NewMail, OutboxRepository


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _token() -> str:
    return secrets.token_hex(4)


class SummaryMailService:
    """Writes the founder's summary mail to the outbox; the mail worker delivers it."""

    def __init__(
        self,
        outbox: OutboxRepository,
        privacy: PrivacyService,
        content: ContentRepository,
        pseudonym_key: str,
        mail_from: str,
        clock: Callable[[], datetime] = _now,
        token: Callable[[], str] = _token,
    ) -> None:
        self._outbox = outbox
        self._privacy = privacy
        self._content = content
        self._key = pseudonym_key
        self._mail_from = mail_from
        self._clock = clock
        self._token = token

    def send(
        self,
        conversation_id: str,
        record_id: int,
        slots: Mapping[str, object],
        variant: Variant = Variant.SV,
    ) -> str:
        """Write the summary of a conversation (its slots) to the outbox, to the address of
        its consent record `record_id`; return the mail's reference. The mail and its PDF
        are written in `variant`, the conversation's.

        SummaryMailError when no such record of this conversation, for this purpose, is
        kept. On any failure after that, the record is deleted and the error raised.
        """
        record = self._privacy.record_of(conversation_id, record_id)
        if record is None or record.purpose is not Purpose.SUMMARY:
            raise SummaryMailError("no address is kept for a summary in this conversation")
        try:
            return self._write(conversation_id, record.address, record.retain_until, slots, variant)
        except Exception:
            # Given for this mail only: with no mail, the address goes too. Should that
            # fail as well (the database is down), purge deletes it after the retention;
            # the first error is the one to report.
            with contextlib.suppress(Exception):
                self._privacy.discard(conversation_id, record_id)
            raise

    def _write(
        self,
        conversation_id: str,
        address: str,
        retain_until: datetime,
        slots: Mapping[str, object],
        variant: Variant,
    ) -> str:
        try:
            # The envelope and the To header carry the domain in ASCII (xn--) form.
            mail_to = clean_reply_to(address)
        except TicketError as error:
            raise SummaryMailError(str(error)) from error
        if mail_to is None:
            raise SummaryMailError("the kept address is empty")
        created_at = self._clock().astimezone(timezone.utc)
        # The meeting's day in Sweden, as the summary page and its PDF download date it.
        day = local_today(created_at)
        summary = build_summary(slots, self._content, day, variant)
        reference = summary_reference(created_at, self._token())
        message = compose_summary(
            SummaryMail(
                reference=reference,
                created_at=created_at,
                day=day,
                pdf=render_summary_pdf(summary),
                mail_to=mail_to,
                mail_from=self._mail_from,
                disclaimer=summary.disclaimer,
                retain_until=retain_until.astimezone(MEETING_TIMEZONE).date(),
                contact=self._content.contact(),
                texts=summary.texts.mail,
                language=summary.texts.language,
            )
        )
        self._outbox.add(
            NewMail(
                reference=reference,
                kind=SUMMARY,
                conversation_ref=conversation_ref(self._key, conversation_id),
                message=message,
                # The envelope: bare addresses, without display names.
                mail_from=parseaddr(self._mail_from)[1],
                mail_to=mail_to,
                created_at=created_at,
            )
        )
        return reference
