"""The insight report: one self-contained HTML page in Swedish, charts embedded as SVG.

No request leaves the page: the CSS is inline and each chart is a data: URI. Every
chart has a text alternative and its numbers in a table beside it.
"""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path

import jinja2

from bot.insight.cells import HIDDEN_TEXT, MIN_CONVERSATIONS
from bot.insight.charts import charts_for, funnel_steps
from bot.insight.figures import STOCKHOLM, Figures, Trigger
from bot.insight.texts import InsightTexts, load_texts

TEMPLATES = Path(__file__).with_name("templates")
MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip
_RELATIVE = re.compile(r"^(\d+)([dw])$")


class PeriodError(ValueError):
    """--since or --until is neither a date (2026-11-01) nor a length (7d, 2w)."""


def parse_period(
    since: str, until: str | None, now: datetime, zone: tzinfo = STOCKHOLM
) -> tuple[datetime, datetime]:
    """Return [start, end) in UTC for --since (7d, 2w or a date) and --until (a date, or now).

    A date means midnight in Swedish time; --until's date is included whole.
    """
    end = now if until is None else _midnight(_date(until, "--until"), zone) + timedelta(days=1)
    relative = _RELATIVE.match(since.strip())
    if relative:
        count, unit = int(relative.group(1)), relative.group(2)
        start = end - timedelta(days=count * (7 if unit == "w" else 1))
    else:
        start = _midnight(_date(since, "--since"), zone)
    if start >= end:
        raise PeriodError("the period must end after it starts")
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise PeriodError(
            f"{option} must be a date such as 2026-11-01 or 7d, not {text!r}"
        ) from error


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def swedish_date(day: date) -> str:
    """2 december 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def period_text(figures: Figures) -> str:
    """The period as staff read it: "25 november–2 december 2026" (the last day included)."""
    period = figures.period
    first = period.day_of(period.start)
    last = period.day_of(period.end - timedelta(microseconds=1))
    if first == last:
        return swedish_date(first)
    if first.year == last.year:
        return f"{first.day} {MONTHS[first.month - 1]}–{swedish_date(last)}"
    return f"{swedish_date(first)}–{swedish_date(last)}"


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["day"] = lambda d: f"{d.day} {MONTHS[d.month - 1]}"
    return environment


def render_report(figures: Figures, texts: InsightTexts | None = None) -> str:
    """Return the report of `figures` as one HTML page."""
    texts = texts or load_texts()
    charts = {chart.name: chart for chart in charts_for(figures, texts)}
    generated = figures.generated_at.astimezone(figures.period.zone)
    return (
        _environment()
        .get_template("report.html")
        .render(
            f=figures,
            texts=texts,
            period=period_text(figures),
            generated=f"{swedish_date(generated.date())} kl. {generated:%H.%M}",
            charts={name: (chart, _data_uri(chart.svg())) for name, chart in charts.items()},
            funnel=funnel_steps(figures),
            hidden=HIDDEN_TEXT,
            least=MIN_CONVERSATIONS,
            triggers=list(Trigger),
        )
    )
