"""When the weekly digest to staff is due, and which week it is about.

The digest is about one ISO week, Monday to Sunday in Swedish time, and is due from the
configured weekday and hour of the week after. Its outbox reference names the week
("digest-2026-W48"), so however many mail workers see it due, one mail is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

# Weekdays as people write them in INSIGHT_DIGEST_WEEKDAY: 1-7 (ISO, Monday is 1) or
# the name in Swedish or English.
WEEKDAYS = {
    **{str(number): number - 1 for number in range(1, 8)},
    **{
        name: index
        for names in (
            ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        )
        for index, name in enumerate(names)
    },
}


MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip


def days_name(first: date, last: date) -> str:
    """ "23–29 november 2026", "30 november–6 december 2026": days as staff read them."""
    if (first.year, first.month) == (last.year, last.month):
        start = f"{first.day}" if first != last else ""
    elif first.year == last.year:
        start = f"{first.day} {MONTHS[first.month - 1]}"
    else:
        start = f"{first.day} {MONTHS[first.month - 1]} {first.year}"
    end = f"{last.day} {MONTHS[last.month - 1]} {last.year}"
    return f"{start}–{end}" if start else end


def parse_weekday(raw: str) -> int:
    """The weekday (Monday 0) named by `raw`; ValueError if it names none."""
    try:
        return WEEKDAYS[raw.strip().lower()]
    except KeyError:
        raise ValueError(f"not a weekday: {raw!r}") from None


@dataclass(frozen=True)
class Week:
    """One ISO week, [start, end) in the schedule's time zone."""

    start: datetime
    end: datetime

    @classmethod
    def containing(cls, day: date, zone: tzinfo) -> Week:
        monday = day - timedelta(days=day.weekday())
        start = datetime.combine(monday, time(0), zone)
        return cls(start, datetime.combine(monday + timedelta(days=7), time(0), zone))

    def in_utc(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC, as the databases hold times (and as a week with a change
        to or from summer time is 167 or 169 hours long)."""
        return self.start.astimezone(timezone.utc), self.end.astimezone(timezone.utc)

    @property
    def number(self) -> int:
        return self.start.isocalendar()[1]

    @property
    def year(self) -> int:
        return self.start.isocalendar()[0]

    @property
    def key(self) -> str:
        """The digest's outbox reference for this week."""
        return f"digest-{self.year}-W{self.number:02d}"

    def before(self) -> Week:
        """The week before this one."""
        return Week.containing(self.start.date() - timedelta(days=7), self.start.tzinfo)

    @property
    def zone(self) -> tzinfo:
        return self.start.tzinfo  # type: ignore[return-value]

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return self.end.date() - timedelta(days=1)

    @property
    def name(self) -> str:
        """ "vecka 48 (23–29 november 2026)"."""
        return f"vecka {self.number} ({days_name(self.start.date(), self.last_day)})"

    @property
    def column(self) -> str:
        """The week as a table's column head: "Vecka 48"."""
        return f"Vecka {self.number}"


@dataclass(frozen=True)
class Span:
    """Any period [start, end) a digest asked for by hand covers (`asf-bot insight digest`)."""

    start: datetime
    end: datetime
    zone: tzinfo

    def in_utc(self) -> tuple[datetime, datetime]:
        return self.start.astimezone(timezone.utc), self.end.astimezone(timezone.utc)

    def _local(self) -> tuple[datetime, datetime]:
        return self.start.astimezone(self.zone), self.end.astimezone(self.zone)

    @property
    def key(self) -> str:
        """The digest's outbox reference: the period's start and end, in Swedish time."""
        start, end = self._local()
        return f"digest-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}"

    @property
    def first_day(self) -> date:
        return self._local()[0].date()

    @property
    def last_day(self) -> date:
        start, end = self._local()
        last = end if end.time() != time(0) else end - timedelta(days=1)
        return max(last.date(), start.date())

    @property
    def name(self) -> str:
        return days_name(self.first_day, self.last_day)

    @property
    def column(self) -> str:
        return self.name

    def before(self) -> Span:
        """The period of the same length just before this one."""
        return Span(self.start - (self.end - self.start), self.start, self.zone)


@dataclass(frozen=True)
class DigestSchedule:
    """The digest goes out each week on `weekday` (Monday 0) from `hour` o'clock."""

    weekday: int
    hour: int
    zone: tzinfo

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6, not {self.weekday}")
        if not 0 <= self.hour <= 23:
            raise ValueError(f"hour must be 0 to 23, not {self.hour}")

    def due_week(self, now: datetime) -> Week:
        """The week whose digest is due at `now`: the latest one whose time has come.

        A worker that was down at the hour sends it when it is back; a week whose digest
        was already written is left alone by the caller (its key is taken).
        """
        local = now.astimezone(self.zone)
        this_week = Week.containing(local.date(), self.zone)
        send_day = this_week.start.date() + timedelta(days=self.weekday)
        sends_at = datetime.combine(send_day, time(self.hour), self.zone)
        about = this_week.before()
        return about if local >= sends_at else about.before()
