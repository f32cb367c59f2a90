"""Handing a question to staff: the actions, with trackers built here and a real SQLite file.

The staff mail is read from the outbox exactly as the mail worker would send it.
"""

from __future__ import annotations

import logging
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions.escalation import (
    ActionAskEscalationQuestion,
    ActionCancelEscalation,
    ActionCreateTicket,
    ActionOfferEscalation,
    ActionRephraseWithTopics,
    ActionStartEscalation,
    ActionTakeTypedQuestion,
    ValidateEscalationForm,
)
from actions.privacy import ActionSaveEmailAddress, ValidateEmailForm
from bot.domain.escalation import MAX_QUESTION_LENGTH
from bot.domain.pseudonym import conversation_ref
from bot.runtime.bootstrap import Services, build_services
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.storage.migrate import upgrade
from bot.storage.tables import outbox, pending_questions, tickets

CONSENTED_AT = 1_795_860_000.0  # 2026-11-28 07:20 UTC
ADDRESS = "anna.berg@exempel.se"
PHONE = "08-681 9223"
# A question as a visitor might write it: several lines, å/ä/ö, markup that must stay text.
QUESTION = (
    "Vi är fem som vill starta ett kooperativ i Örebro.\n"
    "Måste alla äga en del? <b>Viktigt</b> & <script>alert(1)</script>"
)


def tracker(
    slots: dict | None = None,
    events: list | None = None,
    sender: str = "visitor-1",
    latest_message: dict | None = None,
) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest_message or {"text": "", "intent": {"name": "x"}, "entities": []},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def user(text: str) -> dict:
    return {"event": "user", "text": text}


def bot(text: str) -> dict:
    return {"event": "bot", "text": text, "data": {}}


# A conversation in which the visitor typed personal data before the hand-over began.
BEFORE = [
    user("hej, jag heter Anna, mitt personnummer är 19850709-1234"),
    bot("Hej! Vad vill du veta?"),
    user("ring mig på 070-123 45 67 eller mejla lisa.privat@exempel.se"),
    bot(f"Jag förstod inte riktigt. Ring Eva Carlsson, telefon {PHONE}."),
    user("det hjälpte inte"),
    bot("Förlåt att svaret inte hjälpte dig. Vill du det?"),
    user("ja"),
    {"event": "action", "name": "action_start_escalation"},
    bot("Skriv din fråga med egna ord."),
    user(QUESTION),
    bot("Skriv din e-postadress"),
    user(f"min adress är {ADDRESS}"),
]


@pytest.fixture
def services(tmp_path) -> Services:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return build_services(Settings(content_dir=PROJECT_ROOT / "content", database_url=url))


def stored(services: Services) -> list[tuple[dict, EmailMessage]]:
    """Every ticket in the app database with its mail as the worker would send it."""
    engine = create_engine(services.settings.database_url, future=True)
    query = select(tickets, outbox.c.message).join(outbox, outbox.c.ticket_id == tickets.c.id)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    engine.dispose()
    return [(dict(row), message_from_bytes(row["message"], policy=default)) for row in rows]


def body(mail: EmailMessage) -> str:
    return mail.get_body("plain").get_content().replace("\r\n", "\n")


async def keep_address(services: Services, sender: str = "visitor-1") -> float:
    """Run the consent form's end as Rasa does; return the record id it leaves in a slot."""
    consent = {"event": "slot", "name": "email_consent", "value": True, "timestamp": CONSENTED_AT}
    slots = {"email_purpose": "svar från handläggare", "email_consent": True}
    slots["email_address"] = ADDRESS
    events = await ActionSaveEmailAddress(services).run(
        CollectingDispatcher(), tracker(slots, [consent], sender), {}
    )
    assert SlotSet("email_address", None) in events
    [record] = [e["value"] for e in events if e.get("name") == "email_record"]
    assert record is not None
    return record


async def hand_over(services: Services, record: float | None, sender: str = "visitor-1"):
    dispatcher = CollectingDispatcher()
    slots = {"escalation_question": QUESTION, "email_record": record}
    events = await ActionCreateTicket(services).run(dispatcher, tracker(slots, BEFORE, sender), {})
    return dispatcher.messages, events


async def test_the_question_reaches_staff_as_written_with_the_context_and_a_reply_to(services):
    record = await keep_address(services)
    messages, events = await hand_over(services, record)

    [(row, mail)] = stored(services)
    assert row["question"] == QUESTION
    assert row["reply_to"] == ADDRESS
    assert mail["Reply-To"] == ADDRESS
    text = body(mail)
    assert QUESTION in text
    # Markup stays text in the HTML part: the composer escapes it.
    html = mail.get_body("html").get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Besökaren: det hjälpte inte" in text
    assert "ASF-hjälpen: Hej! Vad vill du veta?" in text

    # The visitor sees the reference and when to expect the answer (as soon as possible).
    [message] = messages
    assert row["reference"] in message["text"]
    assert message["text"].endswith("via e-post till adressen du lämnade, så snart som möjligt.")
    # Nothing of the hand-over stays in the conversation.
    assert SlotSet("escalation_question", None) in events
    assert SlotSet("email_record", None) in events


async def test_personal_data_typed_in_the_chat_does_not_reach_the_mail(services):
    record = await keep_address(services)
    await hand_over(services, record)
    [(_, mail)] = stored(services)
    text = body(mail)
    turns = text[text.index("Senaste delen av samtalet") :]
    for personal in ("19850709-1234", "070-123 45 67", "lisa.privat", ADDRESS):
        assert personal not in text.replace(f"Svara till: {ADDRESS}", ""), personal
    assert "[personnummer]" in turns and "[telefonnummer]" in turns and "[e-postadress]" in turns
    # The agency's own published number is not a visitor's data.
    assert PHONE in turns
    # The turns end where the hand-over began: the address typed later is not there.
    assert "min adress är" not in turns


# What the visitor types as the question, and what Rasa's tracker store keeps of it.
CALL_ME = "Ring mig på 070-123 45 67, mitt personnummer är 19850709-1234. Får vi starta?"
CALL_ME_REDACTED = (
    "Ring mig på [telefonnummer], mitt personnummer är [personnummer]. Får vi starta?"
)


async def write_question(services: Services, text: str, sender: str = "visitor-1") -> None:
    """The escalation form takes the question, as Rasa runs it on the visitor's message."""
    result = await ValidateEscalationForm(services).validate_escalation_question(
        text, CollectingDispatcher(), tracker(sender=sender), {}
    )
    assert result == {"escalation_question": text}


def pending(services: Services) -> list[dict]:
    engine = create_engine(services.settings.database_url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(select(pending_questions)).mappings().all()
    engine.dispose()
    return [dict(row) for row in rows]


async def test_the_question_reaches_staff_as_typed_though_the_conversation_holds_it_redacted(
    services, caplog
):
    caplog.set_level(logging.DEBUG)
    await write_question(services, CALL_ME)
    # Kept as written, under the conversation's pseudonym, never its id.
    [kept] = pending(services)
    assert kept["question"] == CALL_ME
    assert kept["conversation_ref"] == conversation_ref(
        services.settings.pseudonym_key, "visitor-1"
    )

    # By the time the ticket is made, Rasa has saved (and reloaded) the slot redacted.
    dispatcher = CollectingDispatcher()
    slots = {"escalation_question": CALL_ME_REDACTED, "email_record": None}
    await ActionCreateTicket(services).run(dispatcher, tracker(slots, BEFORE), {})
    [(row, mail)] = stored(services)
    assert row["question"] == CALL_ME
    assert CALL_ME in body(mail)
    assert "070-123 45 67" in mail["Subject"]
    # The turns before the question stay redacted.
    turns = body(mail)[body(mail).index("Senaste delen av samtalet") :]
    assert "19850709-1234" not in turns and "[personnummer]" in turns
    # The kept copy went with the ticket; nothing verbatim was logged.
    assert pending(services) == []
    assert "070-123" not in caplog.text and "19850709" not in caplog.text


async def test_a_retried_hand_over_never_sends_the_kept_question_twice(services):
    await write_question(services, CALL_ME)
    slots = {"escalation_question": CALL_ME_REDACTED, "email_record": None}
    await ActionCreateTicket(services).run(CollectingDispatcher(), tracker(slots, BEFORE), {})
    # Run again (say, a retried action): the kept question is gone, so the conversation's
    # redacted copy is all there is, and it makes a ticket of its own with no personal data.
    await ActionCreateTicket(services).run(CollectingDispatcher(), tracker(slots, BEFORE), {})
    first, second = (row["question"] for row, _ in stored(services))
    assert (first, second) == (CALL_ME, CALL_ME_REDACTED)


async def test_without_a_kept_question_the_redacted_copy_goes_and_no_personal_data_with_it(
    services,
):
    # The database was down when the form took the question: the slot's copy is used.
    dispatcher = CollectingDispatcher()
    slots = {"escalation_question": CALL_ME, "email_record": None}
    await ActionCreateTicket(services).run(dispatcher, tracker(slots, BEFORE), {})
    [(row, _)] = stored(services)
    assert row["question"] == CALL_ME_REDACTED


async def test_a_new_question_replaces_the_one_of_an_unfinished_hand_over(services):
    await write_question(services, "Den första frågan, 070-111 11 11")
    await ActionStartEscalation(services).run(CollectingDispatcher(), tracker(), {})
    assert pending(services) == []
    await write_question(services, "Den andra frågan, 070-222 22 22")
    await write_question(services, "Den tredje frågan, 070-333 33 33")
    assert [row["question"] for row in pending(services)] == ["Den tredje frågan, 070-333 33 33"]
    # Another conversation's question is its own.
    await write_question(services, "En annan besökare", sender="visitor-2")
    assert len(pending(services)) == 2


async def test_stopping_deletes_the_question_kept_for_staff(services):
    await write_question(services, CALL_ME)
    await write_question(services, "En annan besökare", sender="visitor-2")
    await ActionCancelEscalation(services).run(CollectingDispatcher(), tracker(), {})
    assert [row["question"] for row in pending(services)] == ["En annan besökare"]


async def test_when_the_question_cannot_be_kept_the_form_goes_on_and_the_log_holds_no_text(
    tmp_path, caplog
):
    broken = build_services(
        Settings(content_dir=PROJECT_ROOT / "content", database_url=f"sqlite:///{tmp_path}/x.db")
    )
    caplog.set_level(logging.DEBUG)
    result = await ValidateEscalationForm(broken).validate_escalation_question(
        CALL_ME, CollectingDispatcher(), tracker(), {}
    )
    assert result == {"escalation_question": CALL_ME}
    assert "Could not keep a question for staff: OperationalError" in caplog.text
    assert "070-123" not in caplog.text and "19850709" not in caplog.text


async def test_without_consent_there_is_no_reply_to_and_the_visitor_is_told_to_call(services):
    messages, _ = await hand_over(services, record=None)
    [(row, mail)] = stored(services)
    assert row["reply_to"] is None and mail["Reply-To"] is None
    assert ADDRESS not in mail.as_string()
    [message] = messages
    assert row["reference"] in message["text"]
    assert "Utan e-postadress kan handläggaren inte svara dig skriftligt." in message["text"]
    assert f"telefon {PHONE}" in message["text"]


async def test_an_address_given_in_another_conversation_is_never_the_reply_to(services):
    record = await keep_address(services, sender="someone-else")
    await hand_over(services, record, sender="visitor-1")
    [(row, mail)] = stored(services)
    assert row["reply_to"] is None and mail["Reply-To"] is None


async def test_when_the_database_is_down_the_visitor_gets_the_phone_number_and_the_log_no_data(
    tmp_path, caplog
):
    # A database without its tables: every write fails as it would with the server down.
    broken = build_services(
        Settings(content_dir=PROJECT_ROOT / "content", database_url=f"sqlite:///{tmp_path}/x.db")
    )
    caplog.set_level(logging.DEBUG)
    record = None
    save = CollectingDispatcher()
    consent = {"event": "slot", "name": "email_consent", "value": True, "timestamp": CONSENTED_AT}
    slots = {"email_consent": True, "email_address": ADDRESS}
    events = await ActionSaveEmailAddress(broken).run(save, tracker(slots, [consent]), {})
    assert SlotSet("email_address", None) in events
    assert SlotSet("email_record", None) in events
    assert save.messages == []  # nothing claims the address was kept

    messages, events = await hand_over(broken, record)
    [message] = messages
    assert message["text"].startswith("Tyvärr gick det inte att skicka din fråga just nu.")
    assert f"telefon {PHONE}" in message["text"]
    assert SlotSet("escalation_question", None) in events
    logged = caplog.text
    assert "Could not hand a question to staff: OperationalError" in logged
    for private in (ADDRESS, "kooperativ i Örebro", "070-123", "19850709"):
        assert private not in logged


async def test_stopping_sends_nothing_gives_the_phone_number_and_forgets_the_question(services):
    dispatcher = CollectingDispatcher()
    slots = {"escalation_question": QUESTION, "email_consent": True}
    events = await ActionCancelEscalation(services).run(dispatcher, tracker(slots, BEFORE), {})
    assert dispatcher.messages[0]["text"] == (
        "Okej, jag skickar ingen fråga. Vill du prata med någon kan du ringa Eva Carlsson på "
        f"Tillväxtverket, telefon {PHONE}."
    )
    for slot in ("escalation_question", "email_consent", "email_address", "email_record"):
        assert SlotSet(slot, None) in events
    assert stored(services) == []


async def test_the_question_is_kept_exactly_as_written(services):
    form = ValidateEscalationForm(services)
    dispatcher = CollectingDispatcher()
    result = await form.validate_escalation_question(QUESTION, dispatcher, tracker(), {})
    assert result == {"escalation_question": QUESTION}
    assert dispatcher.messages == []
    assert [row["question"] for row in pending(services)] == [QUESTION]


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("   \n ", "Jag fick ingen fråga att skicka."),
        ("x" * (MAX_QUESTION_LENGTH + 1), f"högst {MAX_QUESTION_LENGTH} tecken"),
    ],
)
async def test_an_empty_or_far_too_long_question_is_asked_again(services, typed, said):
    dispatcher = CollectingDispatcher()
    result = await ValidateEscalationForm(services).validate_escalation_question(
        typed, dispatcher, tracker(), {}
    )
    assert result == {"escalation_question": None}
    assert said in dispatcher.messages[0]["text"]
    assert pending(services) == []


async def test_the_form_starts_by_asking_for_the_question_without_a_complaint(services):
    # Rasa runs the validator when the form starts, right after the start action has
    # cleared the question slot; a cleared slot is not an empty question.
    started = await ActionStartEscalation(services).run(CollectingDispatcher(), tracker(), {})
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    opening = tracker(
        events=[user("ja"), *started],
        latest_message={"text": "ja", "intent": {"name": "affirm"}, "entities": []},
    )
    dispatcher = CollectingDispatcher()
    await ValidateEscalationForm(services).run(dispatcher, opening, domain)
    assert dispatcher.messages == []


async def test_the_question_is_asked_for_in_plain_words_with_a_way_out(services):
    dispatcher = CollectingDispatcher()
    await ActionAskEscalationQuestion(services).run(dispatcher, tracker(), {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Skriv din fråga med egna ord.") and "”avbryt”" in text


async def test_a_hand_over_starts_clean_with_the_escalation_purpose(services):
    events = await ActionStartEscalation(services).run(CollectingDispatcher(), tracker(), {})
    assert events == [
        SlotSet("email_consent", None),
        SlotSet("email_address", None),
        SlotSet("email_attempts", None),
        SlotSet("email_purpose", "svar från handläggare"),
        # Not the summary's flow, even if one was left unfinished.
        SlotSet("summary_requested", None),
        SlotSet("escalation_question", None),
        SlotSet("email_record", None),
    ]


@pytest.mark.parametrize(
    ("intent", "start"),
    [
        ("request_human", f"Du kan ringa Eva Carlsson på Tillväxtverket, telefon {PHONE}."),
        ("nlu_fallback", "Jag förstår tyvärr inte din fråga."),
        ("not_helpful", "Förlåt att svaret inte hjälpte dig."),
    ],
)
async def test_the_offer_has_ja_nej_and_words_for_what_led_to_it(services, intent, start):
    dispatcher = CollectingDispatcher()
    latest = {"text": "", "intent": {"name": intent}, "entities": []}
    await ActionOfferEscalation(services).run(dispatcher, tracker(latest_message=latest), {})
    [message] = dispatcher.messages
    assert message["text"].startswith(start)
    assert "handläggare" in message["text"]
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Ja", "/affirm"),
        ("Nej", "/deny"),
    ]


async def test_an_unclear_message_gets_buttons_for_its_closest_topics(services):
    latest = {
        "text": "kan man ha en styrelse med deltagare",
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "out_of_scope", "confidence": 0.26},
            {"name": "contact", "confidence": 0.17},
            {"name": "legal_form", "confidence": 0.15},
            {"name": "current_calls", "confidence": 0.09},
        ],
    }
    dispatcher = CollectingDispatcher()
    await ActionRephraseWithTopics(services).run(dispatcher, tracker(latest_message=latest), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("Jag förstod inte riktigt.")
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Kontakt", "/contact"),
        ("Företagsform", "/legal_form"),
    ]


async def test_gibberish_gets_the_main_topics(services):
    latest = {
        "text": "asdkjh qwerty",
        "intent": {"name": "nlu_fallback"},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.4}],
    }
    dispatcher = CollectingDispatcher()
    await ActionRephraseWithTopics(services).run(dispatcher, tracker(latest_message=latest), {})
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        "/what_is_asf",
        "/conditions",
        "/current_calls",
        "/contact",
    ]


async def test_an_address_staff_cannot_reply_to_is_asked_again_naming_why(services):
    dispatcher = CollectingDispatcher()
    consented = tracker({"email_consent": True, "email_attempts": None})
    result = await ValidateEmailForm(services).validate_email_address(
        "åsa.öberg@exempel.se", dispatcher, consented, {}
    )
    assert result == {"email_address": None, "email_attempts": 1.0}
    assert "å, ä, ö" in dispatcher.messages[0]["text"]


# A question typed at the offer, instead of Ja, is the question for staff.


def typed_at_the_offer(text: str, sender: str = "visitor-1") -> Tracker:
    offer = [user("kan jag prata med en handläggare?"), bot("Vill du det?"), user(text)]
    return tracker(
        events=offer,
        sender=sender,
        latest_message={"text": text, "intent": {"name": "start_checklist"}, "entities": []},
    )


async def test_a_question_typed_at_the_offer_is_kept_as_written_and_consent_comes_next(services):
    dispatcher = CollectingDispatcher()
    events = await ActionTakeTypedQuestion(services).run(
        dispatcher, typed_at_the_offer(QUESTION), {}
    )
    assert SlotSet("email_purpose", "svar från handläggare") in events
    assert events[-1] == SlotSet("escalation_question", QUESTION)
    assert dispatcher.messages == []
    assert [row["question"] for row in pending(services)] == [QUESTION]


async def test_a_question_typed_at_the_offer_reaches_staff_as_the_ticket(services):
    events = await ActionTakeTypedQuestion(services).run(
        CollectingDispatcher(), typed_at_the_offer(QUESTION), {}
    )
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    dispatcher = CollectingDispatcher()
    history = [*BEFORE[:4], {"event": "action", "name": "action_take_typed_question"}]
    await ActionCreateTicket(services).run(dispatcher, tracker(slots, history), {})
    assert "ASF-" in dispatcher.messages[0]["text"]
    [(_, mail)] = stored(services)
    assert QUESTION in body(mail)


async def test_a_far_too_long_question_typed_at_the_offer_is_asked_for_again(services):
    dispatcher = CollectingDispatcher()
    typed = "x" * (MAX_QUESTION_LENGTH + 1)
    events = await ActionTakeTypedQuestion(services).run(dispatcher, typed_at_the_offer(typed), {})
    assert f"högst {MAX_QUESTION_LENGTH} tecken" in dispatcher.messages[0]["text"]
    assert events[-1] == FollowupAction("escalation_form")
    assert SlotSet("escalation_question", None) in events
    assert pending(services) == []
