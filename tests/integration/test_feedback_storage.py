"""Votes on answers in real databases (a SQLite file, and PostgreSQL when it runs): a
vote, a changed vote, and the link to the conversation cut when the visitor ends it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select

from bot.domain.feedback import Ballot, Vote
from bot.domain.pseudonym import conversation_ref
from bot.services.feedback import FeedbackService
from bot.services.privacy import PrivacyService
from bot.storage.checklists import ChecklistRepository
from bot.storage.consents import ConsentRepository
from bot.storage.feedback import FeedbackRepository
from bot.storage.migrate import upgrade
from bot.storage.pending_questions import PendingQuestionRepository
from bot.storage.tables import answer_feedback
from bot.storage.tickets import TicketRepository

KEY = "test-key"
MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = MORNING

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(database_url):
    upgrade(database_url)
    engine = create_engine(database_url, future=True)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def votes(engine, clock) -> FeedbackService:
    return FeedbackService(FeedbackRepository(engine), KEY, clock=clock)


def rows(engine) -> list[dict]:
    with engine.connect() as connection:
        return [
            dict(row)
            for row in connection.execute(
                select(answer_feedback).order_by(answer_feedback.c.id)
            ).mappings()
        ]


def test_a_vote_is_stored_with_the_conversation_hashed_and_no_text(engine, votes):
    votes.vote("visitor-1", Ballot("answer-0001", "utter_conditions", Vote.UP))
    [row] = rows(engine)
    assert row["conversation_ref"] == conversation_ref(KEY, "visitor-1")
    assert "visitor-1" not in row.values()
    assert (row["answer_id"], row["response"], row["vote"]) == (
        "answer-0001",
        "utter_conditions",
        "up",
    )
    assert set(row) == {"id", "conversation_ref", "answer_id", "response", "vote", "voted_at"}
    [stored] = FeedbackRepository(engine).all()
    assert stored.voted_at == MORNING


def test_a_changed_vote_replaces_the_earlier_one_in_the_same_row(engine, votes, clock):
    votes.vote("visitor-1", Ballot("answer-0001", "utter_conditions", Vote.UP))
    [before] = rows(engine)
    clock.now = MORNING + timedelta(minutes=2)
    votes.vote("visitor-1", Ballot("answer-0001", "utter_conditions", Vote.DOWN))
    [after] = rows(engine)
    assert after["id"] == before["id"]
    assert after["vote"] == "down"
    assert FeedbackRepository(engine).all()[0].voted_at == MORNING + timedelta(minutes=2)


def test_votes_on_other_answers_or_in_other_conversations_are_rows_of_their_own(engine, votes):
    votes.vote("visitor-1", Ballot("answer-0001", "utter_conditions", Vote.UP))
    votes.vote("visitor-1", Ballot("answer-0002", "utter_legal_form", Vote.DOWN))
    votes.vote("visitor-2", Ballot("answer-0001", "utter_conditions", Vote.DOWN))
    assert [(r["answer_id"], r["vote"]) for r in rows(engine)] == [
        ("answer-0001", "up"),
        ("answer-0002", "down"),
        ("answer-0001", "down"),
    ]


def test_votes_on_one_answer_arriving_at_once_leave_one_row(engine, votes):
    ballots = [Ballot("answer-0001", "utter_conditions", v) for v in [Vote.UP, Vote.DOWN] * 4]
    threads = [threading.Thread(target=votes.vote, args=("visitor-1", b)) for b in ballots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [row] = rows(engine)
    assert row["vote"] in {"up", "down"}


def test_unlinking_keeps_the_anonymous_votes_and_a_later_conversation_is_apart(engine, votes):
    repository = FeedbackRepository(engine)
    votes.vote("visitor-1", Ballot("answer-0001", "utter_conditions", Vote.UP))
    votes.vote("visitor-1", Ballot("answer-0002", "utter_contact", Vote.DOWN))
    votes.vote("visitor-2", Ballot("answer-0003", "utter_contact", Vote.UP))
    assert repository.unlink(conversation_ref(KEY, "visitor-1")) == 2
    assert [(r["conversation_ref"], r["vote"]) for r in rows(engine)] == [
        (None, "up"),
        (None, "down"),
        (conversation_ref(KEY, "visitor-2"), "up"),
    ]
    assert repository.unlink(conversation_ref(KEY, "visitor-1")) == 0
    # Unlinked rows never block a vote under the same answer id again.
    votes.vote("visitor-1", Ballot("answer-0001", "utter_conditions", Vote.DOWN))
    assert len(rows(engine)) == 4


def test_ending_the_conversation_unlinks_its_votes_with_its_checklist_result(engine, votes):
    privacy = PrivacyService(
        ConsentRepository(engine),
        PendingQuestionRepository(engine),
        TicketRepository(engine),
        KEY,
        retention_days=30,
        checklists=ChecklistRepository(engine),
        feedback=FeedbackRepository(engine),
    )
    votes.vote("visitor-1", Ballot("answer-0001", "utter_conditions", Vote.UP))
    votes.vote("visitor-2", Ballot("answer-0002", "utter_conditions", Vote.UP))
    deletion = privacy.forget("visitor-1")
    assert deletion.votes == 1
    assert [r["conversation_ref"] for r in rows(engine)] == [
        None,
        conversation_ref(KEY, "visitor-2"),
    ]
