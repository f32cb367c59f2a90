"""The weekly digest to staff: written into the outbox once its week is due, once only.

The mail worker asks on every round (`enqueue_due`); the digest's outbox reference names
its week, and the outbox's unique reference lets only one of several workers write it.
The mail itself is then sent, retried and deduplicated like every other outbox mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.domain.digest import DigestSchedule, Span, Week
from bot.insight.charts import charts_for
from bot.insight.figures import STOCKHOLM, Sources, figures_for
from bot.insight.texts import load_texts
from bot.mail.digest import DigestMail, compose_digest
from bot.runtime.settings import Settings
from bot.storage.outbox import NewMail, insert_mail
from bot.storage.tables import outbox

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"

# Writes the digest of a week (or of any period, by hand): the mail, its reference the
# period's key.
DigestWriter = Callable[[Week | Span, datetime], NewMail]


class DigestScheduler:
    """Puts each week's digest in the outbox from the hour it is due."""

    def __init__(self, engine: Engine, schedule: DigestSchedule, write: DigestWriter) -> None:
        self._engine = engine
        self._schedule = schedule
        self._write = write
        # The latest week whose digest this scheduler has seen in the outbox: the
        # worker asks every few seconds, and the outbox need be read once a week.
        self._seen: str | None = None

    def written(self, week: Week) -> bool:
        """Whether the week's digest is in the outbox (whatever has become of it)."""
        with self._engine.connect() as connection:
            found = connection.execute(
                select(outbox.c.id).where(outbox.c.reference == week.key)
            ).first()
        return found is not None

    def enqueue_due(self, now: datetime) -> str | None:
        """Write the due week's digest if no worker has yet; return its key if this did."""
        week = self._schedule.due_week(now)
        if week.key == self._seen:
            return None
        if self.written(week):
            self._seen = week.key
            return None
        mail = self._write(week, now)
        if mail.reference != week.key or mail.kind != DIGEST_KIND:
            raise ValueError(f"a digest of {week.key} must be named so, not {mail.reference}")
        try:
            with self._engine.begin() as connection:
                insert_mail(connection, mail)
        except IntegrityError:
            # Another worker wrote it between the check and now: theirs is the one.
            self._seen = week.key
            return None
        self._seen = week.key
        log.info("Weekly digest %s written to the outbox", week.key)
        return week.key


def digest_writer(sources: Sources, settings: Settings) -> DigestWriter:
    """The writer of the real digest: the period's figures beside the period before's."""

    def write(period: Week | Span, now: datetime) -> NewMail:
        this_week = figures_for(sources, *period.in_utc(), zone=period.zone)
        week_before = figures_for(sources, *period.before().in_utc(), zone=period.zone)
        message = compose_digest(
            DigestMail(
                period=period,
                this_week=this_week,
                week_before=week_before,
                charts=charts_for(this_week),
                texts=load_texts(),
                mail_from=settings.mail_from,
                mail_to=settings.digest_to,
                created_at=now,
            )
        )
        return NewMail(
            reference=period.key,
            kind=DIGEST_KIND,
            conversation_ref=None,
            message=message,
            # The envelope: bare addresses, without display names.
            mail_from=parseaddr(settings.mail_from)[1],
            mail_to=settings.digest_to,
            created_at=now,
        )

    return write


def digest_scheduler(engine: Engine, sources: Sources, settings: Settings) -> DigestScheduler:
    """The scheduler the mail worker runs, as the settings configure it."""
    schedule = DigestSchedule(
        weekday=settings.insight_digest_weekday,
        hour=settings.insight_digest_hour,
        zone=STOCKHOLM,
    )
    return DigestScheduler(engine, schedule, digest_writer(sources, settings))
