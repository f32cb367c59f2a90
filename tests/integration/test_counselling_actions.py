"""The counselling actions: the summary mailed after consent, and ending the session.

Trackers are built here; the services run on a real SQLite database, and the PDF is
rendered for real (WeasyPrint).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions.counselling import ActionEndSession, ActionSendSummary, ActionStartSummary
from actions.privacy import (
    ActionAskEmailConsent,
    ActionConfirmDeletion,
    ActionDeleteMyData,
    ActionSaveEmailAddress,
    ActionShowMyData,
)
from bot.domain.checklist import CRITERIA
from bot.domain.consent import Purpose
from bot.runtime.bootstrap import build_services
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.storage.migrate import upgrade
from bot.storage.outbox import OutboxRepository
from bot.storage.tables import checklist_results, outbox

SUMMARY = "sammanfattning från rådgivning"
FOUNDER = "founder-1"
SLOTS = {f"checklist_{c}": "ja" for c in CRITERIA}
CONSENTED_AT = 1_795_860_000.0  # 2026-11-28 07:20 UTC


def tracker(slots=None, sender=FOUNDER, events=None, active_loop=None) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=SLOTS | {"email_purpose": SUMMARY, "summary_requested": True} | (slots or {}),
        latest_message={"text": "", "intent": {"name": "x"}, "entities": []},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def services(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return build_services(
        Settings(content_dir=PROJECT_ROOT / "content", database_url=url, mail_from="bot@x.se")
    )


def outbox_rows(services) -> list:
    engine = create_engine(services.settings.database_url, future=True)
    with engine.connect() as connection:
        return connection.execute(select(outbox)).mappings().all()


async def keep_address(services, address: str | None = "anna@exempel.se", consent=True):
    """Run action_save_email_address as the summary's consent form ends; return the record."""
    consent_event = {"event": "slot", "name": "email_consent", "value": consent}
    form = tracker(
        {"email_consent": consent, "email_address": address},
        events=[consent_event | {"timestamp": CONSENTED_AT}],
        active_loop={"name": "email_form"},
    )
    dispatcher = CollectingDispatcher()
    events = await ActionSaveEmailAddress(services).run(dispatcher, form, {})
    [record] = [e["value"] for e in events if e.get("name") == "email_record"]
    return record, [m["text"] for m in dispatcher.messages]


async def send_summary(services, record) -> tuple[list, list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ActionSendSummary(services).run(
        dispatcher, tracker({"email_record": record}), {}
    )
    return events, [m["text"] for m in dispatcher.messages]


async def test_the_summary_flow_starts_clean_with_its_own_purpose():
    events = await ActionStartSummary().run(CollectingDispatcher(), tracker(), {})
    assert events == [
        SlotSet("email_consent", None),
        SlotSet("email_address", None),
        SlotSet("email_attempts", None),
        SlotSet("email_purpose", SUMMARY),
        SlotSet("summary_requested", True),
        SlotSet("email_record", None),
    ]


async def test_the_consent_question_states_that_the_address_is_for_the_summary(services):
    dispatcher = CollectingDispatcher()
    await ActionAskEmailConsent(services).run(dispatcher, tracker(), {})
    [message] = dispatcher.messages
    texts = services.content.privacy()
    assert message["text"] == f"{texts.statement}\n\n{texts.summary_consent_question}"
    assert "mejla sammanfattningen från rådgivningen till dig" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]


async def test_with_consent_the_address_is_kept_for_the_summary_and_the_mail_is_on_its_way(
    services,
):
    record, said = await keep_address(services)
    assert said == [
        "Tack! Din e-postadress är sparad hos Tillväxtverket för att vi ska kunna skicka "
        "sammanfattningen till dig."
    ]
    [kept] = services.privacy.stored_for(FOUNDER)
    assert kept.purpose is Purpose.SUMMARY

    events, said = await send_summary(services, record)
    assert said == [services.content.privacy().summary_on_its_way]
    assert said[0].startswith("Sammanfattningen är på väg till din e-post.")
    assert events == [SlotSet("email_record", None), SlotSet("summary_requested", None)]
    [row] = outbox_rows(services)
    assert (row["kind"], row["mail_to"], row["status"]) == ("summary", "anna@exempel.se", "pending")
    assert b"application/pdf" in row["message"]


async def test_a_no_keeps_nothing_and_sends_nothing_and_says_so(services):
    record, said = await keep_address(services, address=None, consent=False)
    assert record is None and said == ["Okej, jag sparar ingen e-postadress."]
    events, said = await send_summary(services, record)
    assert said == ["Jag skickar ingen sammanfattning."]
    assert SlotSet("summary_requested", None) in events
    assert outbox_rows(services) == []
    assert services.privacy.stored_for(FOUNDER) == []


async def test_when_the_mail_cannot_be_made_the_founder_is_told_and_no_address_is_kept(
    services, monkeypatch, caplog
):
    import bot.services.summary_mail as summary_mail

    def broken(summary):
        raise OSError("Pango is missing")

    monkeypatch.setattr(summary_mail, "render_summary_pdf", broken)
    record, _ = await keep_address(services)
    _, said = await send_summary(services, record)
    assert said[0].startswith("Det gick inte att skicka sammanfattningen just nu")
    assert "telefon 08-681 9223" in said[0]
    assert outbox_rows(services) == [] and services.privacy.stored_for(FOUNDER) == []
    assert "OSError" in caplog.text and "anna@" not in caplog.text


async def test_the_visitor_sees_the_summary_mail_among_what_is_kept_and_can_delete_it(services):
    record, _ = await keep_address(services)
    await send_summary(services, record)
    dispatcher = CollectingDispatcher()
    await ActionShowMyData(services).run(dispatcher, tracker(), {})
    shown = dispatcher.messages[0]["text"]
    assert SUMMARY in shown
    assert "• Mejlet med sammanfattningen från rådgivningen " in shown
    assert shown.count("anna@exempel.se") == 2

    dispatcher = CollectingDispatcher()
    await ActionConfirmDeletion(services).run(dispatcher, tracker(), {})
    question = dispatcher.messages[0]["text"].splitlines()
    assert (
        "• Mejlet med sammanfattningen till anna@exempel.se. "
        "Har det redan skickats finns det kvar i din e-post."
    ) in question

    dispatcher = CollectingDispatcher()
    await ActionDeleteMyData(services).run(dispatcher, tracker(), {})
    said = dispatcher.messages[0]["text"]
    assert said.startswith("Klart. Jag har raderat din e-postadress")
    assert said.endswith(
        "Mejlet med sammanfattningen hade inte skickats än. Det är raderat och skickas inte."
    )
    assert outbox_rows(services) == []


async def test_deleting_after_the_summary_went_says_the_founder_has_it(services):
    record, _ = await keep_address(services)
    await send_summary(services, record)
    repository = OutboxRepository(create_engine(services.settings.database_url, future=True))
    now = datetime.now(timezone.utc)
    assert repository.mark_sent(repository.claim(now, timedelta(minutes=5)), now)
    dispatcher = CollectingDispatcher()
    await ActionDeleteMyData(services).run(dispatcher, tracker(), {})
    said = dispatcher.messages[0]["text"]
    assert said.endswith(
        "Mejlet med sammanfattningen har redan skickats till dig. Vår kopia av det är raderad."
    )


# Ending the session.


async def end_session(services, sender=FOUNDER) -> tuple[list, str]:
    dispatcher = CollectingDispatcher()
    events = await ActionEndSession(services).run(dispatcher, tracker(sender=sender), {})
    [message] = dispatcher.messages
    return events, message["text"]


def checklist_refs(services) -> list:
    engine = create_engine(services.settings.database_url, future=True)
    with engine.connect() as connection:
        return connection.execute(select(checklist_results.c.conversation_ref)).scalars().all()


async def test_ending_the_session_deletes_everything_and_the_conversation(services):
    services.checklists.complete({c: "ja" for c in CRITERIA}, FOUNDER)
    record, _ = await keep_address(services)
    await send_summary(services, record)
    services.escalation.accept_question(FOUNDER, "Ring mig på 070-123 45 67")

    events, said = await end_session(services)
    assert said.startswith(
        "Klart. Jag har raderat den här konversationen och allt som sparades från den."
    )
    assert "Svaren på checklistan finns bara kvar i statistiken, utan koppling till dig" in said
    assert "Frågan som du skrev är också raderad. Den har inte skickats." in said
    assert "Mejlet med sammanfattningen hade inte skickats än." in said
    # The tracker store deletes the conversation when it sees this slot.
    assert SlotSet("forget_conversation", True) in events
    assert SlotSet("summary_requested", None) in events

    kept = services.privacy.kept_for(FOUNDER)
    assert (kept.records, kept.tickets, kept.question, kept.summaries) == ([], [], None, [])
    assert outbox_rows(services) == []
    # Only the anonymous row for statistics stays.
    assert checklist_refs(services) == [None]


async def test_ending_a_session_with_nothing_kept_says_only_that_it_is_deleted(services):
    services.checklists.complete({c: "ja" for c in CRITERIA}, "someone-else")
    _, said = await end_session(services)
    assert said == (
        "Klart. Jag har raderat den här konversationen och allt som sparades från den. "
        "Du kan börja om från början."
    )
    # Another conversation's result stays linked to it.
    assert checklist_refs(services) != [None]
