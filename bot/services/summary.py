"""Use case: the summary a founder takes home from a counselling meeting.

Built from the conversation's checklist slots and the content files alone, so it states
nothing the agency page does not say and holds nothing the founder typed. One template
makes both outputs: the printable page the web app serves and the PDF (WeasyPrint, from
the same HTML and the same stylesheet).
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
import weasyprint

from bot.domain.checklist import (
    CRITERIA,
    OUTCOME_OF_ANSWER,
    Answer,
    Outcome,
    evaluate,
    parse_answers,
)
from bot.domain.variants import Variant
from bot.mail.compose import lines
from bot.services.content import (
    Call,
    ChecklistTexts,
    Contact,
    ContentRepository,
    CounsellingTexts,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "summary.html"
# The web app serves this file as /static/summary.css; the PDF is made with the same file.
STYLESHEET = Path(__file__).resolve().parents[1] / "web" / "static" / "summary.css"
STYLESHEET_URL = "/static/summary.css"
# Tagged, accessible PDF (PDF/UA-1): headings, lists and reading order survive for a
# screen reader, and the document says its language and title.
PDF_VARIANT = "pdf/ua-1"

try:
    from zoneinfo import ZoneInfo

    # The summary is dated as the founder and the adviser read the calendar.
    MEETING_TIMEZONE: datetime.tzinfo = ZoneInfo("Europe/Stockholm")
except Exception:  # a machine without time zone data: UTC
    MEETING_TIMEZONE = datetime.timezone.utc

# The Rasa slot that holds each criterion's answer (domain.yml: checklist_<criterion>).
SLOT_PREFIX = "checklist_"

# WeasyPrint tells each step of each PDF at INFO: noise in the servers' logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# Pango and fontconfig keep process-wide state; one PDF at a time is safe, and a PDF is
# made seldom enough (once at the end of a meeting) that a second one's wait is short.
_RENDERING = threading.Lock()


@dataclass(frozen=True)
class CriterionLine:
    """One criterion of the checklist as the meeting left it."""

    criterion: str  # one of bot.domain.checklist.CRITERIA
    label: str  # content/checklist.yml labels
    question: str  # content/checklist.yml questions
    answer: Answer | None  # None: not answered yet
    answer_text: str | None  # "Ja" / "Nej" / "Vet inte"
    outcome: Outcome | None
    outcome_text: str | None  # "uppfyllt" / "inte uppfyllt" / "oklart"
    practice: str  # content/checklist.yml practice


@dataclass(frozen=True)
class Summary:
    """Everything the summary shows, every text from a content file."""

    date: datetime.date
    criteria: tuple[CriterionLine, ...]
    verdict: str | None  # the verdict when all six are answered, else None
    disclaimer: str
    # Headings and labels, the legal forms quoted from the page, and the source.
    texts: CounsellingTexts
    # The calls as content/calls.yml tells them now: the open ones, else the closed ones
    # followed by the note.
    calls: tuple[Call, ...]
    calls_note: str
    contact: Contact

    @property
    def complete(self) -> bool:
        """True when every criterion has an answer."""
        return all(line.answer is not None for line in self.criteria)


def checklist_answers(slots: Mapping[str, object]) -> dict[str, Answer]:
    """Return the valid checklist answers among Rasa's slots (checklist_<criterion>)."""
    return parse_answers({c: slots.get(f"{SLOT_PREFIX}{c}") for c in CRITERIA})


def criterion_lines(
    answers: Mapping[str, Answer], texts: ChecklistTexts
) -> tuple[CriterionLine, ...]:
    """Return every criterion, in the order asked, with its answer and outcome if given."""
    lines = []
    for criterion in CRITERIA:
        answer = answers.get(criterion)
        outcome = OUTCOME_OF_ANSWER[answer] if answer is not None else None
        lines.append(
            CriterionLine(
                criterion=criterion,
                label=texts.labels[criterion],
                question=texts.questions[criterion],
                answer=answer,
                answer_text=texts.answers[answer.value] if answer is not None else None,
                outcome=outcome,
                outcome_text=texts.outcomes[outcome.value] if outcome is not None else None,
                practice=texts.practice[criterion],
            )
        )
    return tuple(lines)


def verdict_text(answers: Mapping[str, Answer], texts: ChecklistTexts) -> str | None:
    """Return the verdict once every criterion has an answer, else None."""
    if any(criterion not in answers for criterion in CRITERIA):
        return None
    return texts.verdicts[evaluate(answers).verdict.value]


def build_summary(
    slots: Mapping[str, object],
    content: ContentRepository,
    today: datetime.date,
    variant: Variant = Variant.SV,
) -> Summary:
    """Return the summary of a conversation whose slots are `slots`, dated `today`,
    written in `variant` (the conversation's)."""
    checklist = content.checklist(variant)
    answers = checklist_answers(slots)
    calls = content.calls(variant)
    return Summary(
        date=today,
        criteria=criterion_lines(answers, checklist),
        verdict=verdict_text(answers, checklist),
        disclaimer=checklist.disclaimer,
        texts=content.counselling(variant),
        calls=calls.open or calls.closed,
        calls_note="" if calls.open else calls.note,
        contact=content.contact(),
    )


def local_today(now: datetime.datetime | None = None) -> datetime.date:
    """Return today's date where the meeting is held (Swedish time)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.astimezone(MEETING_TIMEZONE).date()


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    # Autoescaped: content files are plain text, and stay text in the page.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["lines"] = lines
    return environment


def _html(summary: Summary, stylesheet: str | None) -> str:
    return _templates().get_template(TEMPLATE).render(summary=summary, stylesheet=stylesheet)


def render_summary_html(summary: Summary) -> str:
    """Return the printable summary page (it links /static/summary.css)."""
    return _html(summary, STYLESHEET_URL)


def render_summary_pdf(summary: Summary) -> bytes:
    """Return the summary as a tagged PDF: the same template and stylesheet as the page."""
    # The stylesheet goes in as a file, not as a link: WeasyPrint fetches nothing.
    document = weasyprint.HTML(string=_html(summary, None))
    stylesheet = weasyprint.CSS(filename=str(STYLESHEET))
    with _RENDERING:
        return document.write_pdf(stylesheets=[stylesheet], pdf_variant=PDF_VARIANT)
