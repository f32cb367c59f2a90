"""The real actions in an English and in a lättläst conversation: every text they send is
the variant's, from the content files; staff get the question as written with a Swedish
note; the counselling summary's mail and PDF are in the conversation's variant.

Trackers are built here, as in the other action tests; the services run on a real SQLite
database and the PDF is rendered for real.
"""

from __future__ import annotations

import io
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from pypdf import PdfReader
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions.checklist import (
    ActionAskChecklistPurpose,
    ActionChangeAnswer,
    ActionChecklistResult,
    ActionExplainChecklistQuestion,
)
from actions.content import ActionLoadCalls
from actions.counselling import ActionEndSession, ActionSendSummary
from actions.escalation import (
    ActionAskEscalationQuestion,
    ActionCancelEscalation,
    ActionCreateTicket,
    ActionOfferEscalation,
    ActionRephraseWithTopics,
    ValidateEscalationForm,
)
from actions.privacy import (
    ActionAskEmailAddress,
    ActionAskEmailConsent,
    ActionConfirmDeletion,
    ActionDeleteMyData,
    ActionSaveEmailAddress,
    ActionShowMyData,
    ValidateEmailForm,
)
from actions.services import variant
from bot.domain.checklist import CRITERIA
from bot.domain.variants import Variant
from bot.runtime.bootstrap import Services, build_services
from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.storage.migrate import upgrade
from bot.storage.tables import outbox, tickets

SLOTS = {
    Variant.SV: {"language": "sv", "reading_mode": "standard"},
    Variant.EN: {"language": "en", "reading_mode": "standard"},
    Variant.LATTLAST: {"language": "sv", "reading_mode": "lattlast"},
}
TRANSLATED = (Variant.EN, Variant.LATTLAST)
CONSENTED_AT = 1_795_860_000.0  # 2026-11-28 07:20 UTC
ADDRESS = "anna.berg@exempel.se"
QUESTION = {
    Variant.EN: "We are five people who want to start a cooperative. Must everyone own a part?",
    Variant.LATTLAST: "vi vill starta ett kooperativ måste alla äga en del",
}
NOTE = {
    Variant.EN: "Samtalet var på engelska.",
    Variant.LATTLAST: "Samtalet var på lättläst svenska",
}


def tracker(
    variant_: Variant,
    slots: dict | None = None,
    events: list | None = None,
    intent: str = "x",
    sender: str = "visitor-1",
) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=SLOTS[variant_] | (slots or {}),
        latest_message={"text": "", "intent": {"name": intent}, "entities": []},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def services(tmp_path) -> Services:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return build_services(
        Settings(content_dir=PROJECT_ROOT / "content", database_url=url, mail_from="bot@x.se")
    )


async def said(action, services: Services, tracker_: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    await action(services).run(dispatcher, tracker_, {})
    return dispatcher.messages


def test_the_variant_follows_the_two_slots_and_missing_slots_read_as_swedish():
    assert variant(tracker(Variant.EN)) is Variant.EN
    assert variant(tracker(Variant.LATTLAST)) is Variant.LATTLAST
    assert variant(tracker(Variant.SV)) is Variant.SV
    # English whatever the reading mode; no slots at all (a domain without them): Swedish.
    assert variant(tracker(Variant.EN, {"reading_mode": "lattlast"})) is Variant.EN
    bare = Tracker("v", {}, {}, [], False, None, {}, "action_listen")
    assert variant(bare) is Variant.SV


# --- The checklist -----------------------------------------------------------------------


async def test_an_english_checklist_question_has_english_buttons_with_the_same_payloads(services):
    [message] = await said(ActionAskChecklistPurpose, services, tracker(Variant.EN))
    assert message["text"].startswith("Question 2 of 6: Is the overall purpose")
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Yes", "/affirm"),
        ("No", "/deny"),
        ("Don't know", "/dont_know"),
    ]


async def test_a_lattlast_checklist_question_is_the_lattlast_text(services):
    [message] = await said(ActionAskChecklistPurpose, services, tracker(Variant.LATTLAST))
    assert message["text"] == services.content.checklist(Variant.LATTLAST).questions["purpose"]
    assert message["text"].startswith("Fråga 2 av 6:\nÄr ert viktigaste mål att hjälpa människor\n")
    assert [b["title"] for b in message["buttons"]] == ["Ja", "Nej", "Vet inte"]


@pytest.mark.parametrize("variant_", TRANSLATED)
async def test_the_explanation_is_in_the_variant(services, variant_):
    slots = {"requested_slot": "checklist_reinvestment"}
    [message] = await said(ActionExplainChecklistQuestion, services, tracker(variant_, slots))
    assert message["text"] == services.content.checklist(variant_).explanations["reinvestment"]
    if variant_ is Variant.EN:
        assert message["text"].startswith("I ask because an ASF mainly reinvests its profits")
    else:
        assert message["text"].startswith("Jag frågar för att ett ASF använder\n")


async def test_the_english_result_lists_every_condition_in_english(services):
    answers = {f"checklist_{c}": "ja" for c in CRITERIA} | {"checklist_independence": "nej"}
    [message] = await said(ActionChecklistResult, services, tracker(Variant.EN, answers))
    text = message["text"]
    texts = services.content.checklist(Variant.EN)
    assert text.startswith("Here is the result:\n• Sells goods or services: met")
    assert "• Organisationally independent: not met" in text
    assert texts.attention_heading in text and texts.practice["independence"] in text
    assert texts.verdicts["nagot_inte_uppfyllt"] in text
    assert text.endswith(texts.disclaimer)
    assert "uppfyllt" not in text


async def test_the_lattlast_result_is_the_lattlast_text(services):
    answers = {f"checklist_{c}": "ja" for c in CRITERIA} | {"checklist_purpose": "vet_inte"}
    [message] = await said(ActionChecklistResult, services, tracker(Variant.LATTLAST, answers))
    texts = services.content.checklist(Variant.LATTLAST)
    assert message["text"].startswith("Så här blev det:\n• Säljer saker eller tjänster: ja")
    assert "• Målet är att hjälpa människor till jobb: oklart" in message["text"]
    assert texts.verdicts["nagot_oklart"] in message["text"]


async def test_which_answer_to_change_is_asked_in_english(services):
    slots = {"checklist_business": "ja"}
    [message] = await said(ActionChangeAnswer, services, tracker(Variant.EN, slots))
    assert message["text"] == "Which answer do you want to change?"
    assert message["buttons"][0]["title"] == "Goods or services"


# --- Consent, the address, data shown and deleted -------------------------------------------


async def test_the_english_consent_question_shows_the_binding_swedish_statement(services):
    slots = {"email_purpose": "svar från handläggare"}
    [message] = await said(ActionAskEmailConsent, services, tracker(Variant.EN, slots))
    swedish = services.content.privacy().statement
    assert message["text"].startswith("If you fill in your e-mail address")
    assert f"The Swedish text applies:\n{swedish}\n\n" in message["text"]
    assert message["text"].endswith(
        "Do you want to leave your e-mail address so that we can answer you by e-mail?"
    )
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Yes", "/affirm"),
        ("No", "/deny"),
    ]


async def test_the_lattlast_consent_question_for_a_summary_is_the_lattlast_text(services):
    slots = {"email_purpose": "sammanfattning från rådgivning"}
    [message] = await said(ActionAskEmailConsent, services, tracker(Variant.LATTLAST, slots))
    texts = services.content.privacy(Variant.LATTLAST)
    assert message["text"] == f"{texts.statement}\n\n{texts.summary_consent_question}"
    assert "tillvaxtverket.se/personuppgifter" in message["text"]


@pytest.mark.parametrize("variant_", TRANSLATED)
async def test_the_address_is_asked_for_and_its_problem_named_in_the_variant(services, variant_):
    [message] = await said(ActionAskEmailAddress, services, tracker(variant_))
    assert message["text"] == services.content.privacy(variant_).ask_address
    dispatcher = CollectingDispatcher()
    result = await ValidateEmailForm(services).validate_email_address(
        "anna.berg exempel.se", dispatcher, tracker(variant_), {}
    )
    assert result["email_address"] is None
    [problem] = dispatcher.messages
    assert problem["text"] in services.content.privacy(variant_).problems.values()
    assert problem["text"] not in services.content.privacy().problems.values()


async def keep_address(
    services: Services, variant_: Variant, purpose: str = "svar från handläggare"
) -> tuple[float, list[str]]:
    """Run the consent form's end as Rasa does; return the record id and what was said."""
    consent = {"event": "slot", "name": "email_consent", "value": True, "timestamp": CONSENTED_AT}
    slots = {"email_purpose": purpose, "email_consent": True, "email_address": ADDRESS}
    dispatcher = CollectingDispatcher()
    events = await ActionSaveEmailAddress(services).run(
        dispatcher, tracker(variant_, slots, [consent]), {}
    )
    [record] = [e["value"] for e in events if e.get("name") == "email_record"]
    return record, [m["text"] for m in dispatcher.messages]


async def test_the_address_is_confirmed_in_english_and_in_lattlast(services):
    _, english = await keep_address(services, Variant.EN)
    assert english == [
        "Thank you! Your e-mail address is stored by Tillväxtverket so that we can answer "
        "your question. Write “what have you stored about me?” to see what is stored, or "
        "“delete my data” to remove it."
    ]
    _, lattlast = await keep_address(services, Variant.LATTLAST)
    assert lattlast == [services.content.privacy(Variant.LATTLAST).saved]
    assert lattlast[0].startswith("Tack! Tillväxtverket har sparat din e-postadress.\n")


async def test_a_no_is_answered_in_english(services):
    dispatcher = CollectingDispatcher()
    slots = {"email_purpose": "svar från handläggare", "email_consent": False}
    await ActionSaveEmailAddress(services).run(dispatcher, tracker(Variant.EN, slots), {})
    assert [m["text"] for m in dispatcher.messages] == ["Okay, I will not store an e-mail address."]


async def test_the_data_kept_is_shown_and_deleted_in_english(services):
    await keep_address(services, Variant.EN)
    [shown] = await said(ActionShowMyData, services, tracker(Variant.EN))
    assert shown["text"].startswith("This is what we have stored from this conversation:\n")
    assert f"• The e-mail address {ADDRESS}, for an answer from a case officer." in shown["text"]
    assert "svar från handläggare" not in shown["text"]

    [question] = await said(ActionConfirmDeletion, services, tracker(Variant.EN))
    assert question["text"].startswith("Do you want me to delete this?\n")
    assert f"• Your e-mail address {ADDRESS} and your consent." in question["text"]
    assert question["text"].endswith("This cannot be undone.")
    assert [b["title"] for b in question["buttons"]] == ["Yes, delete", "No"]

    dispatcher = CollectingDispatcher()
    events = await ActionDeleteMyData(services).run(dispatcher, tracker(Variant.EN), {})
    [deleted] = dispatcher.messages
    assert deleted["text"] == (
        "Done. I have deleted your e-mail address, your consent and this conversation."
    )
    assert SlotSet("forget_conversation", True) in events
    assert services.privacy.stored_for("visitor-1") == []


async def test_the_data_kept_is_shown_and_deleted_in_lattlast(services):
    await keep_address(services, Variant.LATTLAST)
    texts = services.content.privacy(Variant.LATTLAST)
    [shown] = await said(ActionShowMyData, services, tracker(Variant.LATTLAST))
    assert shown["text"].startswith(texts.stored_heading)
    assert (
        f"• Din e-postadress {ADDRESS}.\nVi har den för {texts.purposes['escalation']}."
        in (shown["text"])
    )
    [question] = await said(ActionConfirmDeletion, services, tracker(Variant.LATTLAST))
    assert question["text"].endswith("Du kan inte ändra dig sedan.")
    assert [b["title"] for b in question["buttons"]] == ["Ja, ta bort", "Nej"]
    [deleted] = await said(ActionDeleteMyData, services, tracker(Variant.LATTLAST))
    assert deleted["text"] == texts.deleted


# --- Hand-over to staff -------------------------------------------------------------------


def staff_mails(services: Services) -> list[tuple[dict, EmailMessage]]:
    engine = create_engine(services.settings.database_url, future=True)
    query = select(tickets, outbox.c.message).join(outbox, outbox.c.ticket_id == tickets.c.id)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    engine.dispose()
    return [(dict(row), message_from_bytes(row["message"], policy=default)) for row in rows]


def plain(mail: EmailMessage) -> str:
    return mail.get_body("plain").get_content().replace("\r\n", "\n")


@pytest.mark.parametrize("variant_", TRANSLATED)
async def test_the_hand_over_runs_in_the_variant_and_staff_get_the_question_with_a_note(
    services, variant_
):
    offer = tracker(variant_, intent="request_human")
    [offered] = await said(ActionOfferEscalation, services, offer)
    texts = services.content.escalation(variant_)
    contact = services.content.contact()
    assert offered["text"] == texts.offer(texts_reason("person"), contact)
    assert [b["title"] for b in offered["buttons"]] == list(texts.answers.values())

    [asked] = await said(ActionAskEscalationQuestion, services, tracker(variant_))
    assert asked["text"] == texts.ask_question

    question = QUESTION[variant_]
    result = await ValidateEscalationForm(services).validate_escalation_question(
        question, CollectingDispatcher(), tracker(variant_), {}
    )
    assert result == {"escalation_question": question}
    record, _ = await keep_address(services, variant_)
    slots = {"escalation_question": question, "email_record": record}
    [sent] = await said(ActionCreateTicket, services, tracker(variant_, slots))

    [(row, mail)] = staff_mails(services)
    assert sent["text"] == texts.handed_over(row["reference"], contact, reply_by_email=True)
    if variant_ is Variant.EN:
        assert sent["text"].startswith(
            f"Your question has been sent to a case officer at Tillväxtverket. Your case "
            f"number is {row['reference']}."
        )
    # Staff: the question as the visitor wrote it, and the mail in Swedish with the note.
    assert row["question"] == question
    body = plain(mail)
    assert question in body
    assert body.startswith("Ny fråga till handläggare från ASF-hjälpen")
    assert NOTE[variant_] in body
    html = mail.get_body("html").get_content()
    assert NOTE[variant_] in html
    if variant_ is Variant.EN:
        # The English question is marked as English for a screen reader.
        assert '<blockquote lang="en"' in html


def texts_reason(value: str):
    from bot.domain.escalation import OfferReason

    return OfferReason(value)


async def test_a_swedish_hand_over_has_no_language_note(services):
    question = "Hur startar vi ett ASF?"
    await ValidateEscalationForm(services).validate_escalation_question(
        question, CollectingDispatcher(), tracker(Variant.SV), {}
    )
    slots = {"escalation_question": question, "email_record": None}
    await said(ActionCreateTicket, services, tracker(Variant.SV, slots))
    [(_, mail)] = staff_mails(services)
    assert "Samtalet var på" not in plain(mail)


async def test_rephrase_and_cancel_are_in_english(services):
    [rephrase] = await said(ActionRephraseWithTopics, services, tracker(Variant.EN))
    assert rephrase["text"].startswith("I did not quite understand.")
    assert [b["title"] for b in rephrase["buttons"]] == [
        "What is an ASF?",
        "Conditions for an ASF",
        "Funding to apply for",
        "Contact",
    ]
    [cancelled] = await said(ActionCancelEscalation, services, tracker(Variant.EN))
    assert cancelled["text"] == (
        "Okay, I will not send a question. If you want to talk to someone, you can call "
        "Eva Carlsson at Tillväxtverket, phone 08-681 9223."
    )


async def test_the_calls_are_told_in_the_variant():
    from bot.services.content import ContentRepository

    content = ContentRepository(PROJECT_ROOT / "content")
    events = await ActionLoadCalls(content).run(CollectingDispatcher(), tracker(Variant.EN), {})
    [text] = [e["value"] for e in events if e["name"] == "calls_text"]
    assert text == content.calls(Variant.EN).summary()
    assert text.startswith("The call ASF Affärsutvecklingscheck is closed")


# --- The counselling summary -----------------------------------------------------------------

SUMMARY = "sammanfattning från rådgivning"
ANSWERS = {f"checklist_{c}": "ja" for c in CRITERIA} | {"checklist_reinvestment": "nej"}


def summary_mail(services: Services) -> EmailMessage:
    engine = create_engine(services.settings.database_url, future=True)
    with engine.connect() as connection:
        [row] = connection.execute(select(outbox.c.message)).all()
    engine.dispose()
    return message_from_bytes(row.message, policy=default)


def pdf_text(mail: EmailMessage) -> str:
    [pdf] = list(mail.iter_attachments())
    reader = PdfReader(io.BytesIO(pdf.get_content()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("variant_", TRANSLATED)
async def test_the_summary_mail_and_its_pdf_are_in_the_variant(services, variant_):
    record, confirmed = await keep_address(services, variant_, SUMMARY)
    assert confirmed == [services.content.privacy(variant_).summary_saved]
    slots = ANSWERS | {"email_purpose": SUMMARY, "summary_requested": True}
    [on_its_way] = await said(
        ActionSendSummary, services, tracker(variant_, slots | {"email_record": record})
    )
    assert on_its_way["text"] == services.content.privacy(variant_).summary_on_its_way

    mail = summary_mail(services)
    counselling = services.content.counselling(variant_)
    checklist = services.content.checklist(variant_)
    body = mail.get_body("plain").get_content()
    html = mail.get_body("html").get_content()
    shown = pdf_text(mail)
    if variant_ is Variant.EN:
        assert mail["Subject"].startswith("Summary of the counselling with ASF-hjälpen ")
        assert body.startswith("Hello!")
        assert '<html lang="en">' in html
    else:
        assert mail["Subject"].startswith("Det vi kom fram till med ASF-hjälpen ")
        assert "Du fick råd om ASF den " in body
        assert "<br>" in html
    assert words(checklist.disclaimer) in words(body)
    assert "Eva Carlsson" in body and "08-681 9223" in body
    # The PDF: the variant's headings, labels, outcomes and verdict.
    assert words(counselling.title) in shown
    for criterion in CRITERIA:
        assert words(checklist.labels[criterion]) in shown, criterion
    assert words(checklist.verdicts["nagot_inte_uppfyllt"]) in shown
    assert words(counselling.legal_forms_heading) in shown


async def test_ending_the_session_is_told_in_english(services):
    [message] = await said(ActionEndSession, services, tracker(Variant.EN))
    assert message["text"].startswith(
        "Done. I have deleted this conversation and everything that was stored from it."
    )
