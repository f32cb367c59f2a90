"""What a message means depends on what the bot asked: the whole bot, as `make run` starts it.

Each conversation here is one a visitor had on main before these rules: an answer when
nothing was asked, a question typed at the offer to staff, a deletion that must wait for Ja.
"""

from __future__ import annotations

import sqlite3

import pytest

from bot.domain.checklist import CRITERIA
from bot.runtime.chat import send
from bot.runtime.launcher import LaunchConfig
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentRepository
from tests.conftest import running_bot

TOKEN = "context-test-token"
NOTHING_ASKED = "Jag vet inte riktigt vad du svarar på."
CHECKLIST = ContentRepository(PROJECT_ROOT / "content").checklist()
CONSENT = "Om du fyller i din e-postadress sparas den hos Tillväxtverket"


@pytest.fixture(scope="module")
def bot_supervisor(trained_model, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    # The local sink: nothing reaches a real relay, whatever the caller's shell says.
    env = {"ASF_CONTENT_DIR": str(PROJECT_ROOT / "content"), "SMTP_HOST": ""}
    with running_bot(trained_model, var_dir, TOKEN, env) as supervisor:
        yield supervisor


@pytest.fixture(scope="module")
def bot(bot_supervisor) -> LaunchConfig:
    return bot_supervisor.config


def ask(bot: LaunchConfig, sender: str, message: str) -> tuple[str, list[str]]:
    replies = send(bot.rasa_url, sender, message)
    text = "\n".join(reply.get("text", "") for reply in replies)
    return text, [b["title"] for reply in replies for b in reply.get("buttons") or []]


def asks_a_checklist_question(text: str) -> bool:
    return any(CHECKLIST.questions[criterion] in text for criterion in CRITERIA)


def stored_events(bot: LaunchConfig, sender: str) -> int:
    with sqlite3.connect(bot.var_dir / "tracker.db") as db:
        [(count,)] = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,))
    return count


@pytest.mark.parametrize("message", ["ja", "nej", "vet inte", "avbryt", "varför frågar du?"])
def test_an_answer_when_nothing_was_asked_gets_what_the_bot_can_do(bot, message):
    sender = f"nothing-asked-{message}"
    text, buttons = ask(bot, sender, message)
    assert text.startswith(NOTHING_ASKED)
    assert {"Vad är ett ASF?", "Kan vi bli ett ASF?", "Kontakt"} <= set(buttons)
    assert not asks_a_checklist_question(text)
    # Nothing was deleted: the conversation is still there.
    assert stored_events(bot, sender) > 0


@pytest.mark.parametrize("message", ["glöm det", "ta bort 1 timme från köket timer"])
def test_nothing_is_deleted_by_words_that_sound_like_deletion(bot, message):
    sender = f"not-a-deletion-{len(message)}"
    ask(bot, sender, "vad är ett asf?")
    text, _ = ask(bot, sender, message)
    assert not text.startswith("Klart.")
    assert stored_events(bot, sender) > 0


def test_a_wish_to_change_an_answer_before_any_checklist_starts_nothing(bot):
    sender = "change-nothing"
    text, _ = ask(bot, sender, "jag vill ändra mitt svar")
    assert text.startswith(NOTHING_ASKED)
    assert not asks_a_checklist_question(text)
    text, _ = ask(bot, sender, "ja")
    assert text.startswith(NOTHING_ASKED)


def test_a_question_typed_at_the_offer_goes_to_staff_and_never_starts_the_checklist(bot):
    sender = "typed-at-the-offer"
    offer, buttons = ask(bot, sender, "kan jag prata med en handläggare?")
    assert "Vill du det?" in offer and buttons == ["Ja", "Nej"]
    question = "Vi är tre personer som vill starta ett kafé i Borås, hur skriver vi stadgarna?"
    text, buttons = ask(bot, sender, question)
    assert not asks_a_checklist_question(text)
    assert text.startswith(CONSENT) and buttons == ["Ja", "Nej"]
    text, _ = ask(bot, sender, "nej")
    assert "ASF-" in text
    with sqlite3.connect(bot.var_dir / "app.db") as db:
        mails = [bytes(row[0]) for row in db.execute("SELECT message FROM outbox")]
    assert any(b"hur skriver vi stadgarna" in mail for mail in mails)


def test_deletion_waits_for_ja_and_nothing_else_deletes(bot):
    sender = "deletion-asked-first"
    ask(bot, sender, "vad är ett asf?")
    text, buttons = ask(bot, sender, "radera mina uppgifter")
    assert text.startswith("Vill du att jag raderar det här?")
    assert "Hela den här konversationen." in text and buttons == ["Ja, radera", "Nej"]
    assert ask(bot, sender, "nej")[0] == "Okej, jag raderar ingenting."
    assert stored_events(bot, sender) > 0

    ask(bot, sender, "radera mina uppgifter")
    text, _ = ask(bot, sender, "hur många asf finns det?")
    assert "358" in text
    # A Ja that no longer answers the deletion question deletes nothing either.
    assert ask(bot, sender, "ja")[0].startswith(NOTHING_ASKED)
    assert stored_events(bot, sender) > 0

    ask(bot, sender, "radera mina uppgifter")
    assert ask(bot, sender, "ja")[0].startswith("Klart.")
    assert stored_events(bot, sender) == 0


def test_a_why_about_the_address_gets_the_privacy_statement(bot):
    text, _ = ask(bot, "why-the-address", "Varför vill ni ha min e-post?")
    assert text.startswith(CONSENT)
    assert "tillvaxtverket.se/personuppgifter" in text


def test_with_the_action_server_down_no_answer_shows_a_missing_value(bot_supervisor):
    # Rasa goes on with the response when a custom action fails: the content it would
    # have loaded must then not show as "None", nor as "no calls are open".
    bot_supervisor.stop_server("action server")
    try:
        for sender, message in [("down-1", "vilka stöd kan jag söka?"), ("down-2", "kontakt")]:
            text, _ = ask(bot_supervisor.config, sender, message)
            assert (
                text == "Jag kan inte hämta de uppgifterna just nu. Försök igen om en liten stund."
            )
        text, _ = ask(bot_supervisor.config, "down-3", "vad blir det för väder i morgon?")
        assert "None" not in text and text.startswith("Jag kan bara svara på frågor om")
    finally:
        bot_supervisor.start_server("action server")
        bot_supervisor.wait_until_ready(["action server"])
    text, _ = ask(bot_supervisor.config, "down-4", "kontakt")
    assert "08-681 9223" in text
