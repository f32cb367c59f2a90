""" "Avsluta och rensa" on a shared computer: afterwards nothing of the meeting is left in
Rasa's tracker store, and nothing in the app database but the anonymous checklist row and
votes on answers.

The conversation is written and deleted by the project's redacting tracker store, as the
Rasa server does; each test runs on SQLite files and on PostgreSQL when one runs.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, func, select

from actions.counselling import ActionEndSession
from bot.domain.checklist import CRITERIA
from bot.domain.consent import Purpose
from bot.domain.feedback import Ballot, Vote
from bot.runtime.bootstrap import build_services
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.storage.conversations import ConversationRepository
from bot.storage.migrate import upgrade
from bot.storage.tables import answer_feedback, checklist_results, metadata
from tests.integration.conftest import open_tracker_store

FOUNDER = "founder-1"
ANSWERS = {c: "ja" for c in CRITERIA}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def meeting(sender: str) -> list[Event]:
    """A counselling meeting as Rasa stores it: the checklist, then the summary by mail."""
    events: list[Event] = [ActionExecuted("action_listen")]
    events.append(UserUttered("kan vi bli ett asf?", {"name": "start_checklist"}))
    events += [SlotSet(f"checklist_{c}", answer) for c, answer in ANSWERS.items()]
    events.append(UserUttered("/send_summary", {"name": "send_summary"}))
    events.append(SlotSet("summary_requested", True))
    events.append(UserUttered("anna.berg@exempel.se", {"name": "give_email"}))
    events.append(SlotSet("email_address", "anna.berg@exempel.se"))
    events.append(BotUttered("Sammanfattningen är på väg till din e-post."))
    return events


async def test_ending_the_session_leaves_only_the_anonymous_checklist_row_and_votes(
    database_url, tracker_url, domain
):
    upgrade(database_url)
    services = build_services(
        Settings(content_dir=PROJECT_ROOT / "content", database_url=database_url)
    )
    store = open_tracker_store(tracker_url, domain)
    try:
        for sender in (FOUNDER, "next-visitor"):
            await store.save(
                DialogueStateTracker.from_events(sender, meeting(sender), domain.slots)
            )
        # What the meeting left in the app database: the checklist result, the address
        # with its consent, the summary mail, a question written for staff.
        await asyncio.to_thread(services.checklists.complete, ANSWERS, FOUNDER)
        record = services.privacy.record("anna.berg@exempel.se", Purpose.SUMMARY, "1", FOUNDER)
        await asyncio.to_thread(
            services.summary_mail.send, FOUNDER, record, {f"checklist_{c}": "ja" for c in CRITERIA}
        )
        services.escalation.accept_question(FOUNDER, "Ring mig på 070-123 45 67")
        services.feedback.vote(FOUNDER, Ballot("answer-0001", "utter_conditions", Vote.UP))

        # /end_session, handled as the Rasa server does: the action's events are added to
        # the conversation, and the tracker store saves it.
        tracker = await store.retrieve(FOUNDER)
        tracker.update(UserUttered("/end_session", {"name": "end_session"}))
        tracker.update(ActionExecuted("action_end_session"))
        sdk_tracker = Tracker.from_dict(tracker.current_state(EventVerbosity.ALL))
        dispatcher = CollectingDispatcher()
        events = await ActionEndSession(services).run(dispatcher, sdk_tracker, {})
        for event in events:
            tracker.update(Event.from_parameters(event))
        await store.save(tracker)

        assert await store.retrieve(FOUNDER) is None
        assert ConversationRepository(store.engine).sender_ids() == ["next-visitor"]

        engine = create_engine(database_url, future=True)
        try:
            with engine.connect() as connection:
                rows = {
                    table.name: connection.execute(
                        select(func.count()).select_from(table)
                    ).scalar_one()
                    for table in metadata.sorted_tables
                }
                refs = connection.execute(select(checklist_results.c.conversation_ref)).all()
                vote_refs = connection.execute(select(answer_feedback.c.conversation_ref)).all()
        finally:
            engine.dispose()
        assert {name: count for name, count in rows.items() if count} == {
            "checklist_results": 1,
            "answer_feedback": 1,
        }
        assert [ref for (ref,) in refs] == [None]
        assert [ref for (ref,) in vote_refs] == [None]
        privacy = services.content.privacy()
        [said] = dispatcher.messages
        assert privacy.session_ended_statistics in said["text"]
        assert privacy.session_ended_votes in said["text"]
    finally:
        store.engine.dispose()
