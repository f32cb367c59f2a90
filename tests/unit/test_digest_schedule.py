"""When the weekly digest is due, which week it covers, and its once-per-week key."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain.digest import DigestSchedule, Span, Week, parse_weekday

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MONDAY_7 = DigestSchedule(weekday=0, hour=7, zone=STOCKHOLM)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


def test_from_monday_seven_oclock_the_digest_covers_the_week_before():
    week = MONDAY_7.due_week(at("2026-11-30 07:00"))
    assert (week.start, week.end) == (at("2026-11-23 00:00"), at("2026-11-30 00:00"))
    assert week.key == "digest-2026-W48"
    assert week.last_day.isoformat() == "2026-11-29"


def test_before_the_hour_the_week_before_that_is_still_the_latest_due():
    assert MONDAY_7.due_week(at("2026-11-30 06:59")).key == "digest-2026-W47"
    # All week long the same week is due: a worker that was down sends it when back.
    assert MONDAY_7.due_week(at("2026-12-06 23:59")).key == "digest-2026-W48"


def test_the_hour_is_swedish_time_whatever_the_servers_clock_zone():
    # 07:00 in Stockholm on 30 November is 06:00 UTC.
    assert MONDAY_7.due_week(datetime(2026, 11, 30, 5, 59, tzinfo=timezone.utc)).number == 47
    assert MONDAY_7.due_week(datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)).number == 48


def test_another_weekday_and_hour():
    friday_16 = DigestSchedule(weekday=4, hour=16, zone=STOCKHOLM)
    assert friday_16.due_week(at("2026-12-04 15:00")).key == "digest-2026-W47"
    assert friday_16.due_week(at("2026-12-04 16:00")).key == "digest-2026-W48"


def test_weeks_across_the_new_year_and_summer_time_are_whole_weeks():
    week = MONDAY_7.due_week(at("2027-01-04 08:00"))
    assert week.key == "digest-2026-W53"
    assert week.before().key == "digest-2026-W52"
    # The week in which summer time ends is 169 hours long, and still one ISO week.
    october = Week.containing(at("2026-10-25 12:00").date(), STOCKHOLM)
    start, end = october.in_utc()
    assert (end - start).total_seconds() == 169 * 3600
    assert october.key == "digest-2026-W43"


@pytest.mark.parametrize(
    ("raw", "weekday"),
    [("1", 0), ("7", 6), ("måndag", 0), ("Fredag", 4), ("sunday", 6), (" TUESDAY ", 1)],
)
def test_weekdays_by_number_or_name(raw, weekday):
    assert parse_weekday(raw) == weekday


@pytest.mark.parametrize("raw", ["0", "8", "mon", ""])
def test_a_weekday_that_is_none_is_refused(raw):
    with pytest.raises(ValueError):
        parse_weekday(raw)


def test_an_hour_outside_the_day_is_refused():
    with pytest.raises(ValueError):
        DigestSchedule(weekday=0, hour=24, zone=STOCKHOLM)


def test_a_period_asked_for_by_hand_is_named_by_its_days_and_compared_with_the_one_before():
    span = Span(at("2026-11-25 17:06"), at("2026-12-02 17:06"), STOCKHOLM)
    assert span.name == "25 november–2 december 2026"
    assert span.key == "digest-20261125T1706-20261202T1706"
    assert (span.first_day.isoformat(), span.last_day.isoformat()) == ("2026-11-25", "2026-12-02")
    before = span.before()
    assert (before.start, before.end) == (at("2026-11-18 17:06"), span.start)
    # Whole days up to midnight end on the day before; one month and across the year.
    november = Span(at("2026-11-01 00:00"), at("2026-12-01 00:00"), STOCKHOLM)
    assert november.name == "1–30 november 2026"
    assert Span(at("2026-12-28 00:00"), at("2027-01-04 00:00"), STOCKHOLM).name == (
        "28 december 2026–3 januari 2027"
    )
    assert Week.containing(at("2026-11-30 12:00").date(), STOCKHOLM).name == (
        "vecka 49 (30 november–6 december 2026)"
    )
