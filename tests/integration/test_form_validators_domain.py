"""The form validators decide the same with the part of the domain the Rasa server sends.

bot/nlp/speedups.py sends the validators (`send_domain: true`) only the domain's slots
and forms. Here each validator runs on what Rasa's own call would send and on what the
speedup sends, for answers it takes and answers it turns down, and must do the same.
"""

from __future__ import annotations

import json

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.checklist import ValidateChecklistForm
from actions.escalation import ValidateEscalationForm
from actions.privacy import ValidateEmailForm
from bot.nlp import speedups
from bot.runtime.bootstrap import build_services
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.storage.migrate import upgrade

# validator, its form, the slot asked for, what the visitor typed (intent, text), the
# value Rasa's slot mapping extracted from it, and slots set before.
ANSWERS = [
    (ValidateChecklistForm, "checklist_form", "checklist_business", "affirm", "ja", "ja", {}),
    (
        ValidateChecklistForm,
        "checklist_form",
        "checklist_purpose",
        "inform",
        "kanske",
        "kanske",
        {},
    ),
    (ValidateEmailForm, "email_form", "email_consent", "affirm", "Ja", True, {}),
    (
        ValidateEmailForm,
        "email_form",
        "email_address",
        "inform",
        "anna.exempel.se",
        "anna.exempel.se",
        {"email_consent": True},
    ),
    (
        ValidateEscalationForm,
        "escalation_form",
        "escalation_question",
        "inform",
        "Får vi söka stöd för en lokal?",
        "Får vi söka stöd för en lokal?",
        {},
    ),
]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def services(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return build_services(Settings(content_dir=PROJECT_ROOT / "content", database_url=url))


def conversation(domain, form, slot, intent, text, value, slots) -> DialogueStateTracker:
    """A conversation in which `form` asked for `slot` and the visitor just answered."""
    events = [
        ActionExecuted("action_listen"),
        UserUttered("start", {"name": "start_checklist"}),
        ActionExecuted(form),
        ActiveLoop(form),
        *(SlotSet(name, v) for name, v in slots.items()),
        SlotSet("requested_slot", slot),
        BotUttered("Frågan"),
        ActionExecuted("action_listen"),
        UserUttered(text, {"name": intent, "confidence": 0.9}),
        SlotSet(slot, value),
    ]
    return DialogueStateTracker.from_events("visitor-1", events, domain.slots)


def call(validator_name: str, tracker: DialogueStateTracker, domain: Domain) -> dict:
    endpoint = EndpointConfig("http://127.0.0.1:5055/webhook", enable_selective_domain=True)
    return RemoteAction(validator_name, endpoint)._action_call_format(tracker, domain)


async def outcome(validator, payload: dict) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = await validator.run(
        dispatcher, Tracker.from_dict(payload["tracker"]), payload["domain"]
    )
    return events, dispatcher.messages


@pytest.mark.parametrize(("cls", "form", "slot", "intent", "text", "value", "slots"), ANSWERS)
async def test_a_validator_decides_the_same_with_the_domain_sent(
    domain, services, cls, form, slot, intent, text, value, slots
):
    validator = cls() if cls is ValidateChecklistForm else cls(services)
    tracker = conversation(domain, form, slot, intent, text, value, slots)
    speedups.uninstall()
    full = call(validator.name(), tracker, domain)
    speedups.install()
    try:
        sent = call(validator.name(), tracker, domain)
    finally:
        speedups.uninstall()
    assert set(sent["domain"]) == set(speedups.SDK_DOMAIN_KEYS)
    assert len(json.dumps(sent["domain"])) * 5 < len(json.dumps(full["domain"]))
    assert {k: v for k, v in sent.items() if k != "domain"} == {
        k: v for k, v in full.items() if k != "domain"
    }
    ours, rasas = await outcome(validator, sent), await outcome(validator, full)
    assert ours == rasas
    # The validator did decide something: it kept the answer or turned it down.
    assert any(e.get("event") == "slot" and e.get("name") == slot for e in rasas[0])
