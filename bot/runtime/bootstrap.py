"""Wire settings and services together once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from bot.runtime.settings import Settings
from bot.services.checklist import ChecklistService
from bot.services.content import ContentRepository
from bot.services.escalation import EscalationService
from bot.services.feedback import FeedbackService
from bot.services.privacy import PrivacyService
from bot.services.summary_mail import SummaryMailService
from bot.services.tickets import TicketService
from bot.storage.checklists import ChecklistRepository
from bot.storage.consents import ConsentRepository
from bot.storage.feedback import FeedbackRepository
from bot.storage.outbox import OutboxRepository
from bot.storage.pending_questions import PendingQuestionRepository
from bot.storage.tickets import TicketRepository


@dataclass(frozen=True)
class Services:
    """What the actions and the web app need, built from one Settings."""

    settings: Settings
    content: ContentRepository
    checklists: ChecklistService
    privacy: PrivacyService
    tickets: TicketService
    escalation: EscalationService
    summary_mail: SummaryMailService
    feedback: FeedbackService


def app_engine(settings: Settings) -> Engine:
    """Return an engine for the app database, its pool sized by the settings."""
    pool: dict[str, int] = {}
    if not settings.database_url.startswith("sqlite"):
        pool = {
            "pool_size": settings.database_pool_size,
            "max_overflow": settings.database_max_overflow,
        }
    return create_engine(settings.database_url, future=True, pool_pre_ping=True, **pool)


def build_services(settings: Settings) -> Services:
    """Return the services for the given settings."""
    engine = app_engine(settings)
    content = ContentRepository(settings.content_dir)
    questions = PendingQuestionRepository(engine)
    ticket_repository = TicketRepository(engine)
    checklists = ChecklistRepository(engine)
    outbox = OutboxRepository(engine)
    votes = FeedbackRepository(engine)
    privacy = PrivacyService(
        ConsentRepository(engine),
        questions,
        ticket_repository,
        settings.pseudonym_key,
        settings.retention_days,
        pending_question_hours=settings.pending_question_hours,
        outbox=outbox,
        checklists=checklists,
        feedback=votes,
    )
    tickets = TicketService(
        ticket_repository,
        settings.pseudonym_key,
        mail_from=settings.mail_from,
        staff_email=settings.staff_email,
    )
    return Services(
        settings=settings,
        content=content,
        checklists=ChecklistService(checklists, settings.pseudonym_key),
        privacy=privacy,
        tickets=tickets,
        escalation=EscalationService(tickets, privacy, content, questions, settings.pseudonym_key),
        summary_mail=SummaryMailService(
            outbox,
            privacy,
            content,
            settings.pseudonym_key,
            mail_from=settings.mail_from,
        ),
        feedback=FeedbackService(votes, settings.pseudonym_key),
    )


@lru_cache(maxsize=1)
def bootstrap() -> Services:
    """Return this process's services, built from the environment on first use."""
    return build_services(Settings.from_env())
