"""The conversation's language and reading mode through the real servers: the slots the
LanguageDetector's entity and the choices set, the confirmation in the chosen variant,
and the open question asked again after a choice. Which text each answer has in English
or lättläst is domain.yml's and content/'s business; here, which answer comes and which
variant the slots ask for."""

from __future__ import annotations

import json
import urllib.request

import pytest

from bot.domain.variants import LANGUAGE_SLOT, READING_MODE_SLOT, Variant, variant_of
from bot.runtime.chat import send
from bot.runtime.launcher import LaunchConfig
from tests.conftest import running_bot

TOKEN = "language-test-token"
ANSWER_BUTTONS = ["/affirm", "/deny", "/dont_know"]


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    with running_bot(trained_model, tmp_path_factory.mktemp("var"), TOKEN) as supervisor:
        yield supervisor.config


def say(bot: LaunchConfig, sender: str, message: str) -> list[dict]:
    return send(bot.rasa_url, sender, message)


def variant(bot: LaunchConfig, sender: str) -> Variant:
    url = f"{bot.rasa_url}/conversations/{sender}/tracker?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:
        slots = json.load(response)["slots"]
    return variant_of(slots[LANGUAGE_SLOT], slots[READING_MODE_SLOT])


def test_english_switches_to_english_and_swedish_back(bot):
    sender = "language-switch"
    assert variant(bot, sender) is Variant.SV
    [reply] = say(bot, sender, "What is a work integration social enterprise?")
    assert reply["response"] == "utter_what_is_asf"
    assert variant(bot, sender) is Variant.EN
    say(bot, sender, "ja")  # says nothing about the language
    assert variant(bot, sender) is Variant.EN
    [reply] = say(bot, sender, "vilka villkor gäller för ett asf?")
    assert reply["response"] == "utter_conditions"
    assert variant(bot, sender) is Variant.SV


def test_a_choice_is_confirmed_in_the_chosen_variant(bot):
    sender = "language-choice"
    [reply] = say(bot, sender, "lättläst")
    assert reply["response"] == "utter_language_chosen"
    assert reply["text"].startswith("Nu skriver jag lätt svenska.")
    assert variant(bot, sender) is Variant.LATTLAST
    [reply] = say(bot, sender, "/choose_english")
    assert reply["text"].startswith("From now on I answer in English.")
    assert variant(bot, sender) is Variant.EN
    [reply] = say(bot, sender, "på svenska")
    # Lättläst was chosen before and stays chosen: Swedish is lättläst again.
    assert variant(bot, sender) is Variant.LATTLAST
    [reply] = say(bot, sender, "vanlig svenska")
    assert reply["text"].startswith("Nu svarar jag på vanlig svenska.")
    assert variant(bot, sender) is Variant.SV


def test_the_languages_are_told_with_buttons_to_choose(bot):
    [reply] = say(bot, "language-ask", "kan du engelska?")
    assert reply["response"] == "utter_languages"
    assert [b["payload"] for b in reply["buttons"]] == ["/choose_english", "/choose_easy_swedish"]


def test_a_choice_inside_the_checklist_asks_the_open_question_again(bot):
    sender = "language-checklist"
    *_, question = say(bot, sender, "kan vi bli ett asf?")
    assert [b["payload"] for b in question["buttons"]] == ANSWER_BUTTONS
    confirmation, asked_again = say(bot, sender, "in english please")
    assert confirmation["response"] == "utter_language_chosen"
    assert [b["payload"] for b in asked_again["buttons"]] == ANSWER_BUTTONS
    assert variant(bot, sender) is Variant.EN
    # The answer still counts for the question asked: the next one follows.
    [following] = say(bot, sender, "/affirm")
    assert following["text"] != asked_again["text"]
    assert [b["payload"] for b in following["buttons"]] == ANSWER_BUTTONS


def test_a_choice_is_not_taken_as_the_question_for_staff(bot):
    sender = "language-escalation"
    [asked] = say(bot, sender, "kan ni mejla mig svaret?")
    confirmation, *asked_again = say(bot, sender, "in english please")
    assert confirmation["response"] == "utter_language_chosen"
    assert len(asked_again) == 1 and asked_again[0] != confirmation, "asked again"
    assert asked_again[0].get("buttons") == asked.get("buttons")
    statement = " ".join(r.get("text", "") for r in say(bot, sender, "Do we have to own it?"))
    # The consent question follows the question; the choice was not taken for it.
    assert "tillvaxtverket.se/personuppgifter" in statement
    assert variant(bot, sender) is Variant.EN
