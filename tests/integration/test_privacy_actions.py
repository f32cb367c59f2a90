"""The consent form's actions, with trackers built here and a real SQLite database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine

from actions.privacy import (
    ActionAskEmailAddress,
    ActionAskEmailConsent,
    ActionConfirmDeletion,
    ActionDeleteMyData,
    ActionSaveEmailAddress,
    ActionShowMyData,
    ValidateEmailForm,
)
from bot.domain.consent import Purpose
from bot.runtime.bootstrap import build_services
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.storage.migrate import upgrade
from bot.storage.tickets import TicketRepository

STATEMENT = (
    "Om du fyller i din e-postadress sparas den hos Tillväxtverket, och det är vi som "
    "ansvarar för denna uppgift. Vi sparar e-postadressen endast för att kunna svara dig om "
    "du har en fråga. Läs mer om hur vi behandlar personuppgifter på "
    "tillvaxtverket.se/personuppgifter."
)
CONSENTED_AT = 1_795_860_000.0  # 2026-11-28 07:20 UTC


def tracker(slots=None, sender="visitor-1", events=None) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots={"email_purpose": "svar på fråga"} | (slots or {}),
        latest_message={"text": "", "intent": {"name": "x"}, "entities": []},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": "email_form"},
        latest_action_name="action_listen",
    )


@pytest.fixture
def services(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return build_services(Settings(content_dir=PROJECT_ROOT / "content", database_url=url))


def consented(address=None, attempts=None) -> Tracker:
    consent_event = {"event": "slot", "name": "email_consent", "value": True}
    return tracker(
        {"email_consent": True, "email_address": address, "email_attempts": attempts},
        events=[consent_event | {"timestamp": CONSENTED_AT}],
    )


async def test_consent_is_asked_with_the_statement_word_for_word_and_ja_nej(services, source_page):
    dispatcher = CollectingDispatcher()
    await ActionAskEmailConsent(services).run(dispatcher, tracker(), {})
    [message] = dispatcher.messages
    assert message["text"].startswith(STATEMENT)
    assert STATEMENT in " ".join(source_page.split())
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Ja", "/affirm"),
        ("Nej", "/deny"),
    ]


async def test_the_address_is_asked_for_only_after_consent():
    form = ValidateEmailForm()
    slots = ["email_consent", "email_address"]
    for consent in (None, False):
        required = await form.required_slots(
            slots, CollectingDispatcher(), tracker({"email_consent": consent}), {}
        )
        assert required == ["email_consent"]
    assert await form.required_slots(slots, CollectingDispatcher(), consented(), {}) == slots


async def test_after_three_unusable_addresses_no_more_is_asked():
    form = ValidateEmailForm()
    slots = ["email_consent", "email_address"]
    assert await form.required_slots(slots, CollectingDispatcher(), consented(None, 2.0), {}) == (
        slots
    )
    assert await form.required_slots(slots, CollectingDispatcher(), consented(None, 3.0), {}) == [
        "email_consent"
    ]


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("anna@", "Det saknas något efter @"),
        ("anna@gmail,com", "kommatecken"),
        ("anna @ exempel.se", "mellanslag"),
    ],
)
async def test_an_unusable_address_is_asked_again_naming_the_problem(services, typed, named):
    dispatcher = CollectingDispatcher()
    result = await ValidateEmailForm(services).validate_email_address(
        typed, dispatcher, consented(None, 1.0), {}
    )
    assert result == {"email_address": None, "email_attempts": 2.0}
    assert named in dispatcher.messages[0]["text"]


async def test_a_valid_address_in_a_sentence_is_taken_normalised(services):
    result = await ValidateEmailForm(services).validate_email_address(
        "min adress är Anna.Berg@Föreningen.SE", CollectingDispatcher(), consented(), {}
    )
    assert result == {"email_address": "Anna.Berg@föreningen.se"}


async def test_with_consent_the_address_is_kept_and_leaves_the_slots(services):
    dispatcher = CollectingDispatcher()
    events = await ActionSaveEmailAddress(services).run(
        dispatcher, consented("anna@exempel.se"), {}
    )
    assert dispatcher.messages[0]["text"].startswith("Tack! Din e-postadress är sparad")
    assert SlotSet("email_address", None) in events
    [record] = services.privacy.stored_for("visitor-1")
    # The next action reads the address back by this id, never from a slot.
    assert SlotSet("email_record", float(record.id)) in events
    assert services.privacy.address_of("visitor-1", record.id) == "anna@exempel.se"
    assert services.privacy.address_of("someone-else", record.id) is None
    assert record.address == "anna@exempel.se"
    assert record.purpose.value == "svar på fråga"
    assert record.policy_version == services.content.privacy().version
    assert record.consented_at.timestamp() == CONSENTED_AT


# Without an address, the ticket's message that follows says that staff cannot answer in
# writing and gives the phone number (tests/integration/test_escalation_actions.py).
async def test_without_consent_nothing_is_kept(services):
    dispatcher = CollectingDispatcher()
    slots = {"email_consent": False, "email_address": "anna@exempel.se"}
    events = await ActionSaveEmailAddress(services).run(dispatcher, tracker(slots), {})
    assert dispatcher.messages[0]["text"] == "Okej, jag sparar ingen e-postadress."
    assert SlotSet("email_address", None) in events and SlotSet("email_record", None) in events
    assert services.privacy.stored_for("visitor-1") == []


async def test_after_three_failures_nothing_more_is_asked_and_nothing_kept(services):
    dispatcher = CollectingDispatcher()
    await ActionSaveEmailAddress(services).run(dispatcher, consented(None, 3.0), {})
    assert dispatcher.messages[0]["text"] == "Jag kan tyvärr inte ta emot e-postadressen här."
    assert services.privacy.stored_for("visitor-1") == []


async def test_the_visitor_sees_what_is_kept_and_can_delete_it(services):
    await ActionSaveEmailAddress(services).run(
        CollectingDispatcher(), consented("anna@exempel.se"), {}
    )
    dispatcher = CollectingDispatcher()
    await ActionShowMyData(services).run(dispatcher, tracker(), {})
    shown = dispatcher.messages[0]["text"]
    assert "anna@exempel.se" in shown and "svar på fråga" in shown and "version 1" in shown

    dispatcher = CollectingDispatcher()
    events = await ActionDeleteMyData(services).run(dispatcher, tracker(), {})
    assert dispatcher.messages[0]["text"].startswith("Klart. Jag har raderat din e-postadress")
    assert SlotSet("forget_conversation", True) in events
    assert services.privacy.stored_for("visitor-1") == []


async def test_another_conversation_sees_and_deletes_nothing_of_this_one(services):
    await ActionSaveEmailAddress(services).run(
        CollectingDispatcher(), consented("anna@exempel.se"), {}
    )
    dispatcher = CollectingDispatcher()
    await ActionShowMyData(services).run(dispatcher, tracker(sender="someone-else"), {})
    assert "anna@" not in dispatcher.messages[0]["text"]
    dispatcher = CollectingDispatcher()
    await ActionDeleteMyData(services).run(dispatcher, tracker(sender="someone-else"), {})
    assert "Det fanns ingen sparad e-postadress" in dispatcher.messages[0]["text"]
    assert len(services.privacy.stored_for("visitor-1")) == 1


async def test_the_address_question_comes_from_the_content_file(services):
    dispatcher = CollectingDispatcher()
    await ActionAskEmailAddress(services).run(dispatcher, consented(), {})
    assert dispatcher.messages[0]["text"] == "Skriv din e-postadress, till exempel namn@exempel.se."


# After a question was handed to staff with the address.


def hand_over(services, sender="visitor-1"):
    """Keep an address for staff's answer and make a ticket with it, as the flow does."""
    record = services.privacy.record("anna@exempel.se", Purpose.ESCALATION, "1", sender)
    return services.escalation.hand_over("Min fråga", [], sender, record)


def ticket_repository(services) -> TicketRepository:
    return TicketRepository(create_engine(services.settings.database_url, future=True))


async def delete_my_data(services) -> str:
    dispatcher = CollectingDispatcher()
    await ActionDeleteMyData(services).run(dispatcher, tracker(), {})
    [message] = dispatcher.messages
    return message["text"]


async def test_what_is_kept_shows_a_ticket_with_the_address_and_a_question_not_sent(services):
    ticket = hand_over(services)
    services.escalation.accept_question("visitor-1", "Ring mig på 070-123 45 67")
    dispatcher = CollectingDispatcher()
    await ActionShowMyData(services).run(dispatcher, tracker(), {})
    shown = dispatcher.messages[0]["text"]
    assert f"• Ärende {ticket.reference} från " in shown
    assert "med e-postadressen anna@exempel.se för svaret" in shown
    assert "• Frågan som du har skrivit till en handläggare. Den är inte skickad än." in shown


async def test_deleting_before_the_mail_went_says_the_question_goes_without_the_address(services):
    ticket = hand_over(services)
    text = await delete_my_data(services)
    assert text.startswith("Klart. Jag har raderat din e-postadress")
    assert "Din fråga skickas ändå till handläggaren, men utan din e-postadress." in text
    assert "ringa Eva Carlsson på Tillväxtverket, telefon 08-681 9223" in text
    assert "redan skickats" not in text
    [status] = ticket_repository(services).statuses()
    assert (status.reference, status.status) == (ticket.reference, "pending")
    assert services.privacy.kept_for("visitor-1").tickets == []


async def test_deleting_after_the_mail_went_says_plainly_that_staff_already_have_it(services):
    hand_over(services)
    repository = ticket_repository(services)
    now = datetime.now(timezone.utc)
    assert repository.mark_sent(repository.claim(now, timedelta(minutes=5)), now)
    text = await delete_my_data(services)
    assert (
        "Din fråga hade redan skickats till en handläggare med din e-postadress. "
        "Det mejlet kan jag inte ta tillbaka." in text
    )
    assert "skickas ändå" not in text


async def test_deleting_mid_hand_over_deletes_the_question_written_and_says_it_was_not_sent(
    services,
):
    services.escalation.accept_question("visitor-1", "Ring mig på 070-123 45 67")
    text = await delete_my_data(services)
    assert text.startswith("Klart. Det fanns ingen sparad e-postadress")
    assert text.endswith("Frågan som du skrev är också raderad. Den har inte skickats.")
    assert services.privacy.kept_for("visitor-1").question is None


# Deletion is asked first.


async def confirm_deletion(services, sender="visitor-1") -> dict:
    dispatcher = CollectingDispatcher()
    events = await ActionConfirmDeletion(services).run(dispatcher, tracker(sender=sender), {})
    assert events == []
    [message] = dispatcher.messages
    return message


async def test_deletion_is_asked_first_naming_everything_that_will_go(services):
    ticket = hand_over(services)
    services.escalation.accept_question("visitor-1", "Hur skriver vi stadgarna?")
    message = await confirm_deletion(services)
    assert message["text"].splitlines() == [
        "Vill du att jag raderar det här?",
        "• Din e-postadress anna@exempel.se och ditt samtycke.",
        f"• Din e-postadress i ärende {ticket.reference}. Ett mejl som redan har skickats "
        "till en handläggare kan jag inte ta tillbaka.",
        "• Frågan som du har skrivit till en handläggare. Den skickas inte.",
        "• Hela den här konversationen.",
        "Det går inte att ångra.",
    ]
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Ja, radera", "/affirm"),
        ("Nej", "/deny"),
    ]


async def test_asking_first_deletes_nothing(services):
    hand_over(services)
    services.escalation.accept_question("visitor-1", "Hur skriver vi stadgarna?")
    await confirm_deletion(services)
    kept = services.privacy.kept_for("visitor-1")
    assert len(kept.records) == 1 and len(kept.tickets) == 1 and kept.question is not None


async def test_with_nothing_kept_the_question_names_only_the_conversation(services):
    hand_over(services, sender="someone-else")
    message = await confirm_deletion(services)
    assert message["text"] == (
        "Vill du att jag raderar det här?\n• Hela den här konversationen.\nDet går inte att ångra."
    )
