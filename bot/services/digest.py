"""The weekly digest to staff: written into the outbox once its week is due, once only.

The mail worker asks on every round (`enqueue_due`); the digest's outbox reference names
its week, and the outbox's unique reference lets only one of several workers write it.
The mail itself is then sent, retried and deduplicated like every other outbox mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.domain.digest import DigestSchedule, Week
from bot.storage.outbox import NewMail, insert_mail
from bot.storage.tables import outbox

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"

# Writes the digest of a week: the mail, its reference the week's key.
DigestWriter = Callable[[Week, datetime], NewMail]


class DigestScheduler:
    """Puts each week's digest in the outbox from the hour it is due."""

    def __init__(self, engine: Engine, schedule: DigestSchedule, write: DigestWriter) -> None:
        self._engine = engine
        self._schedule = schedule
        self._write = write

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
        if self.written(week):
            return None
        mail = self._write(week, now)
        if mail.reference != week.key or mail.kind != DIGEST_KIND:
            raise ValueError(f"a digest of {week.key} must be named so, not {mail.reference}")
        try:
            with self._engine.begin() as connection:
                insert_mail(connection, mail)
        except IntegrityError:
            # Another worker wrote it between the check and now: theirs is the one.
            return None
        log.info("Weekly digest %s written to the outbox", week.key)
        return week.key
