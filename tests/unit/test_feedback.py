"""Which of the bot's replies ask for a vote, what a vote is, and how the REST channel
names the response each reply came from."""

from __future__ import annotations

import pytest
import yaml
from rasa.core.actions.action import ActionBotResponse, RemoteAction
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.domain.feedback import (
    ANSWER_RESPONSES,
    OTHER_RESPONSES,
    Ballot,
    InvalidVote,
    Vote,
    answer_flags,
    answers_question,
    parse_ballot,
)
from bot.nlp.channel import NamingCollector
from bot.runtime.settings import PROJECT_ROOT

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
UNAVAILABLE = [{"type": "slot", "name": "calls_text", "value": None}]


@pytest.fixture(scope="module")
def domain_responses() -> dict:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"]


def test_every_response_in_the_domain_is_either_an_answer_or_named_as_not_one(
    domain_responses,
):
    names = set(domain_responses)
    assert names - ANSWER_RESPONSES - OTHER_RESPONSES == set(), "a response nobody classified"
    assert not ANSWER_RESPONSES & OTHER_RESPONSES
    assert not (ANSWER_RESPONSES | OTHER_RESPONSES) - names, "a name not in domain.yml"


def test_answers_to_questions_ask_for_a_vote_and_prompts_and_questions_do_not():
    for response in ("utter_what_is_asf", "utter_conditions", "utter_contact", "utter_privacy"):
        assert answers_question(response)
    for response in (
        "utter_greet",
        "utter_help",
        "utter_rephrase",
        "utter_checklist_intro",
        "utter_nothing_asked",
        "utter_email_consent_reminder",
        "utter_out_of_scope",
        None,
        "utter_unknown",
    ):
        assert not answers_question(response), response


def test_the_variation_shown_when_content_could_not_be_loaded_asks_for_no_vote(
    domain_responses,
):
    assert not answers_question("utter_current_calls", UNAVAILABLE)
    assert answers_question(
        "utter_current_calls", [{"type": "slot", "name": "calls_open", "value": True}]
    )
    # The convention the rule reads: in domain.yml, an answer's variation conditioned on
    # an empty slot is the one that says the content could not be loaded, in each of the
    # three variants; the Swedish one says so in these words, none shows a placeholder.
    for name in ANSWER_RESPONSES:
        for variation in domain_responses[name]:
            conditions = variation.get("condition") or []
            if any(c.get("value") is None for c in conditions):
                assert "{" not in variation["text"], name
                variant = {c["name"]: c["value"] for c in conditions}
                if variant.get("language", "sv") == "sv" and (
                    variant.get("reading_mode", "standard") == "standard"
                ):
                    assert variation["text"].startswith("Jag kan inte hämta"), name


def test_an_answer_cut_into_parts_gets_its_vote_under_the_last_part_only():
    replies = [
        ("utter_greet", None),
        ("utter_employees", None),
        ("utter_employees", None),
        ("utter_employees", None),
        ("utter_regions", None),
        (None, None),
    ]
    assert answer_flags(replies) == [False, False, False, True, True, False]
    assert answer_flags([]) == []


def test_a_vote_is_up_or_down_for_an_answer_the_bot_gives_under_a_short_printable_id():
    assert parse_ballot("Abc_def-12345678", "utter_conditions", "down") == Ballot(
        "Abc_def-12345678", "utter_conditions", Vote.DOWN
    )
    assert parse_ballot("a" * 64, "utter_what_is_asf", "up").vote is Vote.UP


@pytest.mark.parametrize(
    ("answer_id", "response", "vote"),
    [
        ("short", "utter_conditions", "up"),
        ("a" * 65, "utter_conditions", "up"),
        ("with space 12345", "utter_conditions", "up"),
        ("åäö-not-ascii-123", "utter_conditions", "up"),
        (12345678, "utter_conditions", "up"),
        (None, "utter_conditions", "up"),
        ("Abc_def-12345678", "utter_greet", "up"),  # a greeting answers nothing
        ("Abc_def-12345678", "utter_does_not_exist", "up"),
        ("Abc_def-12345678", ["utter_conditions"], "up"),
        ("Abc_def-12345678", "utter_conditions", "UP"),
        ("Abc_def-12345678", "utter_conditions", "meh"),
        ("Abc_def-12345678", "utter_conditions", True),
        ("Abc_def-12345678", "utter_conditions", None),
    ],
)
def test_anything_else_is_refused(answer_id, response, vote):
    with pytest.raises(InvalidVote):
        parse_ballot(answer_id, response, vote)


# The REST channel's collector, fed as Rasa's processor feeds it: the message of the
# BotUttered event that Rasa's own actions make.


def tracker_with(*events) -> DialogueStateTracker:
    domain = Domain.load(str(DOMAIN_FILE))
    return DialogueStateTracker.from_events("visitor", list(events), slots=domain.slots)


async def collected(events) -> list[dict]:
    collector = NamingCollector()
    for event in events:
        await collector.send_response("visitor", event.message())
    return collector.messages


async def test_a_response_of_a_rule_reaches_the_channel_with_its_name():
    domain = Domain.load(str(DOMAIN_FILE))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    events = await ActionBotResponse("utter_what_is_asf").run(
        NamingCollector(), nlg, tracker_with(), domain
    )
    [message] = await collected(events)
    assert message["response"] == "utter_what_is_asf"
    assert "driver näringsverksamhet" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/conditions", "/legal_form"]
    assert "condition" not in message


async def test_a_response_a_custom_action_names_reaches_the_channel_with_its_name():
    domain = Domain.load(str(DOMAIN_FILE))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    # What the action server answers for dispatcher.utter_message(response=...).
    events = await RemoteAction._utter_responses(
        [{"response": "utter_nothing_asked", "text": None, "buttons": []}],
        NamingCollector(),
        nlg,
        tracker_with(),
    )
    [message] = await collected(events)
    assert message["response"] == "utter_nothing_asked"
    assert message["text"].startswith("Jag vet inte riktigt vad du svarar på")


async def test_the_variation_for_missing_content_reaches_the_channel_with_its_condition():
    domain = Domain.load(str(DOMAIN_FILE))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    missing = tracker_with(SlotSet("calls_text", None))
    events = await ActionBotResponse("utter_current_calls").run(
        NamingCollector(), nlg, missing, domain
    )
    [message] = await collected(events)
    assert message["response"] == "utter_current_calls"
    assert message["condition"] == [{"type": "slot", "name": "calls_text", "value": None}]
    assert not answers_question(message["response"], message["condition"])

    loaded = tracker_with(SlotSet("calls_text", "• ASF-checken"), SlotSet("calls_open", True))
    events = await ActionBotResponse("utter_current_calls").run(
        NamingCollector(), nlg, loaded, domain
    )
    [message] = await collected(events)
    assert answers_question(message["response"], message.get("condition"))


async def test_a_text_without_a_response_has_no_name():
    collector = NamingCollector()
    await collector.send_response("visitor", {"text": "Svar: hej"})
    assert collector.messages == [{"recipient_id": "visitor", "text": "Svar: hej"}]


# One answer in three variants: the name the channel gives a reply is the response's,
# whichever variation Rasa chose, so votes count per answer and not per language.
VARIANT_DOMAIN = """
version: "3.1"
slots:
  language:
    type: categorical
    values: [sv, en]
    initial_value: sv
    influence_conversation: false
    mappings: [{type: custom}]
  reading_mode:
    type: categorical
    values: [standard, lattlast]
    initial_value: standard
    influence_conversation: false
    mappings: [{type: custom}]
  calls_text:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
  calls_open:
    type: bool
    influence_conversation: false
    mappings: [{type: custom}]
# The conditions exclude each other: Rasa picks at random among all that hold.
responses:
  utter_current_calls:
    - condition:
        - {type: slot, name: calls_text, value: null}
        - {type: slot, name: language, value: en}
      text: "I cannot fetch that information right now."
    - condition:
        - {type: slot, name: calls_text, value: null}
        - {type: slot, name: language, value: sv}
        - {type: slot, name: reading_mode, value: lattlast}
      text: "Jag kan inte hämta det just nu."
    - condition:
        - {type: slot, name: calls_text, value: null}
        - {type: slot, name: language, value: sv}
        - {type: slot, name: reading_mode, value: standard}
      text: "Jag kan inte hämta de uppgifterna just nu."
    - condition:
        - {type: slot, name: calls_open, value: true}
        - {type: slot, name: language, value: en}
      text: "You can apply for this: {calls_text}"
    - condition:
        - {type: slot, name: calls_open, value: true}
        - {type: slot, name: language, value: sv}
        - {type: slot, name: reading_mode, value: lattlast}
      text: "Du kan söka det här: {calls_text}"
    - condition:
        - {type: slot, name: calls_open, value: true}
        - {type: slot, name: language, value: sv}
        - {type: slot, name: reading_mode, value: standard}
      text: "Just nu kan du söka det här stödet: {calls_text}"
"""

VARIANTS = [
    ("en", "standard", "You can apply"),
    ("en", "lattlast", "You can apply"),
    ("sv", "lattlast", "Du kan söka"),
    ("sv", "standard", "Just nu kan du söka"),
]


async def sent(domain: Domain, response: str, *events) -> dict:
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    tracker = DialogueStateTracker.from_events("visitor", list(events), slots=domain.slots)
    uttered = await ActionBotResponse(response).run(NamingCollector(), nlg, tracker, domain)
    [message] = await collected(uttered)
    return message


@pytest.mark.parametrize(("language", "reading_mode", "start"), VARIANTS)
async def test_an_answer_keeps_its_name_and_its_vote_in_every_variant(
    language, reading_mode, start
):
    domain = Domain.from_yaml(VARIANT_DOMAIN)
    message = await sent(
        domain,
        "utter_current_calls",
        SlotSet("language", language),
        SlotSet("reading_mode", reading_mode),
        SlotSet("calls_text", "• ASF-checken"),
        SlotSet("calls_open", True),
    )
    assert message["text"].startswith(start)
    assert message["response"] == "utter_current_calls"
    assert answers_question(message["response"], message["condition"])


@pytest.mark.parametrize(("language", "reading_mode", "start"), VARIANTS)
async def test_missing_content_asks_for_no_vote_in_any_variant(language, reading_mode, start):
    domain = Domain.from_yaml(VARIANT_DOMAIN)
    message = await sent(
        domain,
        "utter_current_calls",
        SlotSet("language", language),
        SlotSet("reading_mode", reading_mode),
    )
    assert "{" not in message["text"] and not message["text"].startswith(start)
    assert message["response"] == "utter_current_calls"
    assert not answers_question(message["response"], message["condition"])


@pytest.mark.parametrize(
    ("language", "reading_mode", "start"),
    [
        ("en", "standard", "From now on I answer in English"),
        ("en", "lattlast", "From now on I answer in English"),
        ("sv", "lattlast", "Nu skriver jag lätt svenska"),
        ("sv", "standard", "Nu svarar jag på vanlig svenska"),
    ],
)
async def test_the_language_choice_is_confirmed_in_the_chosen_variant_and_asks_no_vote(
    language, reading_mode, start
):
    domain = Domain.load(str(DOMAIN_FILE))
    message = await sent(
        domain,
        "utter_language_chosen",
        SlotSet("language", language),
        SlotSet("reading_mode", reading_mode),
    )
    assert message["text"].startswith(start)
    assert message["response"] == "utter_language_chosen"
    assert not answers_question(message["response"], message["condition"])
