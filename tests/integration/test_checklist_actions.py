"""The checklist's actions, with trackers built here and a real SQLite database."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine

from actions.checklist import (
    ActionAskChecklistPurpose,
    ActionChangeAnswer,
    ActionChecklistResult,
    ActionExplainChecklistQuestion,
    ActionResetChecklist,
    ValidateChecklistForm,
)
from bot.domain.checklist import CRITERIA
from bot.runtime.bootstrap import build_services
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.storage.checklists import ChecklistRepository
from bot.storage.migrate import upgrade


def tracker(slots=None, entities=None, sender="visitor-1", loop="checklist_form") -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message={"text": "", "intent": {"name": "x"}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": loop} if loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def database_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return url


@pytest.fixture
def services(database_url):
    return build_services(Settings(content_dir=PROJECT_ROOT / "content", database_url=database_url))


@pytest.mark.parametrize("value", ["ja", "nej", "vet_inte"])
async def test_the_three_answers_are_accepted(value):
    result = await ValidateChecklistForm().validate_checklist_reinvestment(
        value, CollectingDispatcher(), tracker(), {}
    )
    assert result == {"checklist_reinvestment": value}


@pytest.mark.parametrize("value", ["kanske", "", None, 3])
async def test_anything_else_is_asked_again(value):
    result = await ValidateChecklistForm().validate_checklist_business(
        value, CollectingDispatcher(), tracker(), {}
    )
    assert result == {"checklist_business": None}


async def test_a_question_comes_with_ja_nej_vet_inte_buttons_whose_payloads_work(services):
    dispatcher = CollectingDispatcher()
    await ActionAskChecklistPurpose(services).run(dispatcher, tracker(), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("Fråga 2 av 6:")
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Ja", "/affirm"),
        ("Nej", "/deny"),
        ("Vet inte", "/dont_know"),
    ]


async def test_the_explanation_is_of_the_question_being_asked(services):
    dispatcher = CollectingDispatcher()
    slots = {"requested_slot": "checklist_independence", "checklist_business": "ja"}
    events = await ActionExplainChecklistQuestion(services).run(dispatcher, tracker(slots), {})
    assert events == []
    assert "ägs aldrig av till exempel en kommun" in dispatcher.messages[0]["text"]


async def test_changing_a_named_answer_forgets_only_that_answer(services):
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "criterion", "value": "reinvestment"}]
    events = await ActionChangeAnswer(services).run(dispatcher, tracker(entities=entities), {})
    assert events == [SlotSet("checklist_reinvestment", None)]
    assert dispatcher.messages == []


async def test_changing_an_unnamed_answer_asks_which_with_buttons(services):
    dispatcher = CollectingDispatcher()
    events = await ActionChangeAnswer(services).run(dispatcher, tracker(), {})
    assert events == [FollowupAction("action_listen")]
    [message] = dispatcher.messages
    assert message["text"] == "Vilket svar vill du ändra?"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[3] == '/change_answer{"criterion":"reinvestment"}'
    assert len(payloads) == 6


async def test_after_the_checklist_a_named_answer_is_forgotten_to_be_asked_again(services):
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "criterion", "value": "purpose"}]
    answered = {f"checklist_{c}": "ja" for c in CRITERIA}
    changing = tracker(answered, entities=entities, loop=None)
    events = await ActionChangeAnswer(services).run(dispatcher, changing, {})
    assert events == [SlotSet("checklist_purpose", None)]


async def test_with_no_checklist_answer_there_is_nothing_to_change_and_no_checklist_starts(
    services,
):
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "criterion", "value": "purpose"}]
    events = await ActionChangeAnswer(services).run(
        dispatcher, tracker(entities=entities, loop=None), {}
    )
    # The form that the rule runs next is skipped: the bot waits for the visitor.
    assert events == [FollowupAction("action_listen")]
    assert dispatcher.messages[0]["response"] == "utter_nothing_asked"


async def test_reset_forgets_every_answer():
    events = await ActionResetChecklist().run(CollectingDispatcher(), tracker(), {})
    assert events == [SlotSet(f"checklist_{c}", None) for c in CRITERIA]


async def test_the_result_is_shown_and_stored(services, database_url):
    slots = {f"checklist_{c}": "ja" for c in CRITERIA} | {"checklist_purpose": "vet_inte"}
    dispatcher = CollectingDispatcher()
    await ActionChecklistResult(services).run(dispatcher, tracker(slots), {})
    text = dispatcher.messages[0]["text"]
    assert "Syftet är att integrera människor genom arbete: oklart" in text
    assert "Några svar är oklara." in text
    stored = ChecklistRepository(create_engine(database_url, future=True)).all()
    assert [s.verdict.value for s in stored] == ["nagot_oklart"]
