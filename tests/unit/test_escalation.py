"""Handing a question to staff, the chat side's pure rules: topics, offers, question, turns."""

import pytest
import yaml

from bot.domain.escalation import (
    MAX_QUESTION_LENGTH,
    OfferReason,
    QuestionProblem,
    closest_topics,
    conversation_turns,
    offer_reason,
    question_problem,
)
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentRepository

TOPICS = {"what_is_asf", "conditions", "legal_form", "current_calls", "contact"}
MAIN = ["what_is_asf", "conditions", "current_calls", "contact"]
START = "action_start_escalation"


def ranked(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_the_closest_topics_of_an_unclear_message_are_offered_best_first():
    ranking = ranked(
        ("nlu_fallback", 0.4),
        ("out_of_scope", 0.26),
        ("contact", 0.17),
        ("legal_form", 0.15),
        ("greet", 0.12),
        ("current_calls", 0.11),
        ("conditions", 0.10),
    )
    assert closest_topics(ranking, TOPICS, MAIN) == ["contact", "legal_form", "current_calls"]


def test_fallback_out_of_scope_chitchat_and_form_answers_are_never_offered():
    ranking = ranked(("nlu_fallback", 0.4), ("out_of_scope", 0.3), ("greet", 0.2), ("affirm", 0.2))
    assert closest_topics(ranking, TOPICS, MAIN) == MAIN


def test_mere_guesses_give_the_main_topics_instead():
    ranking = ranked(("nlu_fallback", 0.4), ("legal_form", 0.05), ("contact", 0.04))
    assert closest_topics(ranking, TOPICS, MAIN) == MAIN
    assert closest_topics([], TOPICS, MAIN) == MAIN


def test_the_shipped_topics_are_intents_of_the_domain_and_offer_no_fallback_or_chitchat():
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts = ContentRepository(PROJECT_ROOT / "content").escalation()
    assert set(texts.topics) <= set(domain["intents"])
    never = {"out_of_scope", "greet", "goodbye", "thank", "bot_challenge", "affirm", "deny"}
    assert not never & set(texts.topics)
    assert set(texts.main_topics) <= set(texts.topics)


@pytest.mark.parametrize(
    ("intent", "reason"),
    [
        ("request_human", OfferReason.PERSON),
        ("nlu_fallback", OfferReason.UNCLEAR),
        ("not_helpful", OfferReason.NOT_HELPFUL),
        (None, OfferReason.PERSON),
    ],
)
def test_the_offer_is_worded_for_what_led_to_it(intent, reason):
    assert offer_reason(intent) is reason


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t "])
def test_an_empty_question_cannot_be_sent(text):
    assert question_problem(text) is QuestionProblem.EMPTY


def test_a_question_far_too_long_cannot_be_sent_but_one_at_the_limit_can():
    assert question_problem("x" * (MAX_QUESTION_LENGTH + 1)) is QuestionProblem.TOO_LONG
    assert question_problem("x" * MAX_QUESTION_LENGTH) is None


@pytest.mark.parametrize(
    "text", ["Får en förening äga ett ASF?", "<script>alert(1)</script>", "rad ett\nrad två"]
)
def test_any_other_question_is_sent_as_written(text):
    assert question_problem(text) is None


def user(text: str) -> dict:
    return {"event": "user", "text": text}


def bot(text: str, buttons: list | None = None) -> dict:
    return {"event": "bot", "text": text, "data": {"buttons": buttons or []}}


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def test_staff_see_the_turns_before_the_hand_over_began_not_the_hand_over_itself():
    events = [
        action("action_listen"),
        user("vad är ett asf?"),
        action("utter_what_is_asf"),
        bot("Ett ASF driver näringsverksamhet."),
        user("det hjälpte inte"),
        bot("Förlåt. Vill du att jag skickar din fråga?", [{"title": "Ja", "payload": "/affirm"}]),
        user("/affirm"),
        action(START),
        {"event": "slot", "name": "email_purpose", "value": "svar från handläggare"},
        bot("Skriv din fråga med egna ord."),
        user("Hur många måste äga företaget?"),
        bot("Skriv din e-postadress"),
        user("anna@exempel.se"),
    ]
    assert conversation_turns(events, (START,)) == [
        ("user", "vad är ett asf?"),
        ("bot", "Ett ASF driver näringsverksamhet."),
        ("user", "det hjälpte inte"),
        ("bot", "Förlåt. Vill du att jag skickar din fråga?"),
        ("user", "Ja"),
    ]


def test_a_button_click_reads_as_the_buttons_title_and_an_unknown_payload_is_left_out():
    buttons = [{"title": "Villkor för ASF", "payload": "/conditions"}]
    events = [
        bot("Jag förstod inte riktigt.", buttons),
        user("/conditions"),
        bot("För ett ASF gäller de här villkoren."),
        user('/change_answer{"criterion":"business"}'),
    ]
    assert conversation_turns(events, (START,)) == [
        ("bot", "Jag förstod inte riktigt."),
        ("user", "Villkor för ASF"),
        ("bot", "För ett ASF gäller de här villkoren."),
    ]


def test_only_the_current_session_and_the_latest_hand_over_count():
    events = [
        user("en gammal fråga"),
        {"event": "session_started"},
        user("kan ni mejla mig svaret?"),
        action(START),
        user("första frågan"),
        bot("Ditt ärendenummer är ASF-2026-000001."),
        user("jag vill prata med en handläggare"),
        bot("Du kan ringa ..."),
        action(START),
        user("andra frågan"),
    ]
    assert conversation_turns(events, (START,)) == [
        ("user", "kan ni mejla mig svaret?"),
        ("user", "första frågan"),
        ("bot", "Ditt ärendenummer är ASF-2026-000001."),
        ("user", "jag vill prata med en handläggare"),
        ("bot", "Du kan ringa ..."),
    ]


def test_without_a_hand_over_the_whole_session_is_context():
    assert conversation_turns([user("hej"), bot("Hej!"), bot("")], (START,)) == [
        ("user", "hej"),
        ("bot", "Hej!"),
    ]
