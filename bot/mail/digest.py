"""Compose the weekly digest to staff: last week's figures beside the week before.

What visitors asked, what the bot did not understand, where hand-overs came from, the
checklist and the tickets, with charts inline (PNG parts the HTML shows by Content-ID,
each with its text alternative). Figures come from bot.insight and keep its small-count
rule: a figure from one or two conversations reads "< 3".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from bot.domain.digest import Span, Week
from bot.insight.cells import HIDDEN_TEXT, Cell
from bot.insight.charts import Chart
from bot.insight.figures import Figures
from bot.insight.texts import InsightTexts
from bot.mail.compose import _environment, _set_bodies, address_domain

# How many topics and groups of not-understood messages the mail lists.
TOP = 5


@dataclass(frozen=True)
class DigestMail:
    """What one digest says, and where it goes: a week's (or any period's, by hand)."""

    period: Week | Span
    this_week: Figures
    week_before: Figures
    charts: tuple[Chart, ...]
    texts: InsightTexts
    mail_from: str
    mail_to: str
    created_at: datetime


def comparison(this: Figures, before: Figures) -> list[tuple[str, str, str]]:
    """The digest's table: each figure this week and the week before, as staff read them."""

    def row(label: str, get: Callable[[Figures], Cell | int]) -> tuple[str, str, str]:
        return (label, _text(get(this)), _text(get(before)))

    return [
        row("Samtal", lambda f: f.overview.conversations),
        row("Meddelanden från besökare", lambda f: f.overview.messages),
        row("Meddelanden per samtal (medel)", lambda f: f.overview.messages_per_conversation),
        row("Samtal utan överlämning till er", lambda f: f.overview.containment),
        row("Meddelanden som boten inte förstod", lambda f: f.overview.fallback_share),
        row("Överlämningar till er", lambda f: f.hand_overs.total),
        row("Frågor som kom fram till er som ärenden", lambda f: f.hand_overs.questions_sent),
        row("Checklistan: påbörjad", lambda f: f.checklist.started),
        row("Checklistan: slutförd", lambda f: f.checklist.completed),
        row("Checklistan: avbruten", lambda f: f.checklist.abandoned),
        row("Ärenden: skapade", lambda f: f.tickets.created),
        row("Ärenden: skickade", lambda f: f.tickets.sent),
        row("Ärenden: väntar", lambda f: f.tickets.waiting),
        row("Ärenden: misslyckade", lambda f: f.tickets.failed),
    ]


def _text(value: Cell | int) -> str:
    return value.text if isinstance(value, Cell) else str(value)


def digest_subject(mail: DigestMail) -> str:
    """One clean line: which week, and how many conversations."""
    conversations = mail.this_week.overview.conversations.text
    return f"ASF-hjälpen {mail.period.name}: {conversations} samtal"


def compose_digest(mail: DigestMail) -> EmailMessage:
    """Return the digest: plain text, and HTML with its charts inline (UTF-8)."""
    this, before = mail.this_week, mail.week_before
    failed = tuple(dict.fromkeys(this.tickets.failed_references + this.tickets.failed_earlier))
    charts = [
        {
            "cid": make_msgid(f"chart-{chart.name}", address_domain(mail.mail_from)),
            "chart": chart,
        }
        for chart in mail.charts
    ]
    period, before_period = mail.period, mail.period.before()
    context = {
        "week": period.name,
        "week_before": before_period.name,
        "column": period.column,
        "column_before": before_period.column,
        "by_hand": isinstance(period, Span),
        "rows": comparison(this, before),
        "topics": [
            (mail.texts.intent(topic.intent), topic.messages.text, topic.up.text, topic.down.text)
            for topic in this.topics[:TOP]
        ],
        "groups": [
            (group.messages.text, group.conversations.text, group.examples)
            for group in this.fallback_groups[:TOP]
        ],
        "failed": failed,
        "charts": charts,
        "hidden": HIDDEN_TEXT,
        "report_command": (
            f"asf-bot insight report --since {period.first_day.isoformat()} "
            f"--until {period.last_day.isoformat()} "
            "--out rapport.html"
        ),
    }
    environment = _environment()
    message = EmailMessage()
    message["Subject"] = digest_subject(mail)
    message["From"] = mail.mail_from
    message["To"] = mail.mail_to
    message["Date"] = format_datetime(mail.created_at.astimezone(timezone.utc))
    # One Message-ID per week: a copy written twice is still one mail to the relay.
    message["Message-ID"] = f"<{period.key}@{address_domain(mail.mail_from)}>"
    message["X-ASF-Digest"] = period.key
    _set_bodies(message, environment, "digest_mail", context)
    html_part = message.get_payload()[1]
    for item in charts:
        html_part.add_related(
            item["chart"].png(),
            maintype="image",
            subtype="png",
            cid=item["cid"],
            filename=f"{item['chart'].name}.png",
        )
    return message
