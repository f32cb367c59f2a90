from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.content import ActionLoadCalls, ActionLoadContact
from bot.services.content import ContentRepository


def tracker_after(text: str) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={},
        latest_message={"text": text, "intent": {"name": "what_is_asf"}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def content(tmp_path: Path) -> ContentRepository:
    (tmp_path / "contacts.yml").write_text(
        "asf:\n  name: Eva Carlsson\n  organisation: Tillväxtverket\n"
        "  phone: 08-681 9223\n  email: eva.carlsson@tillvaxtverket.se\n",
        encoding="utf-8",
    )
    (tmp_path / "calls.yml").write_text(
        "open:\n  - name: Checken\n    text: Checken går att söka nu.\n"
        "closed: []\nnote: Mer information kommer.\n",
        encoding="utf-8",
    )
    return ContentRepository(tmp_path)


async def test_the_contact_comes_from_the_content_file(content):
    dispatcher = CollectingDispatcher()
    events = await ActionLoadContact(content).run(dispatcher, tracker_after("kontakt"), {})
    assert events == [
        SlotSet("contact_name", "Eva Carlsson"),
        SlotSet("contact_organisation", "Tillväxtverket"),
        SlotSet("contact_phone", "08-681 9223"),
        SlotSet("contact_email", "eva.carlsson@tillvaxtverket.se"),
        SlotSet("contact_loaded", True),
    ]


async def test_the_calls_come_from_the_content_file(content):
    dispatcher = CollectingDispatcher()
    events = await ActionLoadCalls(content).run(dispatcher, tracker_after("stöd?"), {})
    assert events == [
        SlotSet("calls_open", True),
        SlotSet("calls_text", "Checken går att söka nu."),
    ]


def test_the_action_server_registers_every_custom_action_of_the_domain():
    import yaml
    from rasa_sdk.executor import ActionExecutor

    from bot.runtime.settings import PROJECT_ROOT

    executor = ActionExecutor()
    executor.register_package("actions")
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    # An action with options (`send_domain: true`) is a one-key mapping in the list.
    names = {next(iter(a)) if isinstance(a, dict) else a for a in domain["actions"]}
    assert names <= set(executor.actions)
