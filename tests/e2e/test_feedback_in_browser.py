"""Votes under the bot's answers, in Debian's Chromium against the whole running bot.

"Fick du svar på din fråga?" 👍 Ja / 👎 Nej under each answer to a question: usable with
the keyboard, announced, changeable (the app database keeps one row per answer), kept
over a reload; 👎 leads into the "did not help" flow. Screenshots go to var/test-artifacts/.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select

from bot.domain.pseudonym import conversation_ref
from bot.runtime.launcher import Supervisor
from bot.storage.tables import answer_feedback
from tests.conftest import running_bot
from tests.e2e import test_widget_in_browser as widget_tests
from tests.e2e.test_widget_in_browser import (
    Visit,
    visit,
)

KEY = "feedback-e2e-pseudonym-key"
QUESTION = "Fick du svar på din fråga?"
OFFER = "Förlåt att svaret inte hjälpte dig. Vill du att jag skickar din fråga till en handläggare"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory) -> Iterator[Supervisor]:
    var_dir = tmp_path_factory.mktemp("var")
    env = {"ASF_PSEUDONYM_KEY": KEY}
    with running_bot(trained_model, var_dir, "test-token", env) as supervisor:
        yield supervisor


# Debian's Chromium, started once for the module as the widget's browser tests start it.
browser = widget_tests.browser


@pytest.fixture
def tab(browser, stack) -> Iterator[Visit]:
    visit_ = visit(browser, stack)
    yield visit_
    visit_.page.context.close()


def votes(stack: Supervisor, tab: Visit) -> list[dict]:
    """The rows of the app database's answer_feedback table from the tab's conversation."""
    ref = conversation_ref(KEY, session_of(tab))
    engine = create_engine(f"sqlite:///{stack.config.var_dir / 'app.db'}", future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(answer_feedback)
                .where(answer_feedback.c.conversation_ref == ref)
                .order_by(answer_feedback.c.id)
            )
            return [dict(row) for row in rows.mappings()]
    finally:
        engine.dispose()


def wait_until(tab: Visit, condition, seconds: float = 10) -> None:
    """Wait for what the page did to reach the database (the widget sends it on its own)."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        tab.page.wait_for_timeout(100)


def session_of(tab: Visit) -> str:
    return json.loads(tab.page.evaluate("localStorage.getItem('asf-chat:session')"))


def feedback_of(message):
    """The vote group under one bot message."""
    return message.get_by_role("group", name=QUESTION)


def focus_with_keyboard(tab: Visit, name: str, key: str = "Shift+Tab") -> None:
    """Press `key` until the button named `name` has the focus, as a keyboard user would."""
    for _ in range(30):
        if tab.page.evaluate("document.activeElement.getAttribute('aria-label')") == name:
            return
        tab.page.keyboard.press(key)
    pytest.fail(f"the button {name!r} cannot be reached with {key}")


def test_a_keyboard_user_votes_changes_the_vote_and_the_database_keeps_one_row(tab, stack):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej! Jag är ASF-hjälpen")
    tab.ask("Vad är ett ASF?")
    answer = tab.bot_messages.last
    expect(answer).to_contain_text("driver näringsverksamhet")
    group = feedback_of(answer)
    up = group.get_by_role("button", name="Ja, jag fick svar")
    down = group.get_by_role("button", name="Nej, jag fick inte svar")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "false")
    tab.screenshot("feedback-1-asked")

    focus_with_keyboard(tab, "Ja, jag fick svar")
    with tab.page.expect_response("**/api/feedback") as response:
        tab.page.keyboard.press("Enter")
    assert response.value.status == 204
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(up).to_be_focused()  # the focus stays where the visitor is
    expect(group).to_contain_text("Tack för ditt svar!")
    live = tab.page.locator(".asf-chat [aria-live='polite']")
    expect(live).to_contain_text("Du svarade Ja: du fick svar på din fråga. Tack!")
    [row] = votes(stack, tab)  # stored under the keyed hash of this tab's session
    assert (row["response"], row["vote"]) == ("utter_what_is_asf", "up")
    tab.screenshot("feedback-2-voted-up")

    # Changed with the keyboard: the other button, pressed with Space.
    focus_with_keyboard(tab, "Nej, jag fick inte svar", key="Tab")
    with tab.page.expect_response("**/api/feedback") as response:
        tab.page.keyboard.press(" ")
    assert response.value.status == 204
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(live).to_contain_text("Du svarade Nej: du fick inte svar på din fråga.")
    [changed] = votes(stack, tab)
    assert changed["id"] == row["id"]
    assert (changed["answer_id"], changed["vote"]) == (row["answer_id"], "down")

    # 👎 is the visitor's own step into "det hjälpte inte": the bot offers a person.
    expect(tab.visitor_messages.last).to_have_text("Du: Jag fick inte svar på min fråga.")
    offer = tab.bot_messages.last
    expect(offer).to_contain_text(OFFER)
    expect(offer.get_by_role("button", name="Ja")).to_be_visible()
    expect(feedback_of(offer)).to_have_count(0)  # the offer is a question: no vote
    tab.screenshot("feedback-3-voted-down")

    # Kept over a reload, with the vote shown.
    tab.page.reload()
    expect(tab.panel).to_be_visible()
    kept = feedback_of(tab.bot_messages.nth(1))
    expect(kept.get_by_role("button", name="Nej, jag fick inte svar")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(kept.get_by_role("button", name="Ja, jag fick svar")).to_have_attribute(
        "aria-pressed", "false"
    )
    # Changed back after the reload: still the same row.
    kept.get_by_role("button", name="Ja, jag fick svar").click()
    expect(kept.get_by_role("button", name="Ja, jag fick svar")).to_have_attribute(
        "aria-pressed", "true"
    )
    wait_until(tab, lambda: [r["vote"] for r in votes(stack, tab)] == ["up"])
    assert [(r["id"], r["vote"]) for r in votes(stack, tab)] == [(row["id"], "up")]
    assert tab.errors == []


def test_no_vote_is_asked_under_greetings_prompts_questions_or_the_visitors_messages(tab):
    tab.open_with_keyboard()
    greeting = tab.bot_messages.first
    expect(greeting).to_contain_text("Hej! Jag är ASF-hjälpen")
    tab.ask("hjälp")
    expect(tab.bot_messages.last).to_contain_text("Jag svarar på frågor om")
    tab.ask("blorp fnurp quux")  # not understood: the bot asks to rephrase
    expect(tab.bot_messages).to_have_count(3)
    tab.bot_messages.last.get_by_role("button").first.wait_for()
    tab.ask("Kan vi bli ett ASF?")  # the checklist's intro and first question
    expect(tab.bot_messages.last).to_contain_text("?")
    expect(tab.page.locator(".asf-chat__feedback")).to_have_count(0)
    # Then an answer: only it has the vote.
    tab.ask("avbryt")
    tab.ask("Vilken företagsform har ett ASF?")
    expect(tab.bot_messages.last).to_contain_text("Det finns inte något särskilt regelverk")
    expect(tab.page.locator(".asf-chat__feedback")).to_have_count(1)
    expect(feedback_of(tab.bot_messages.last)).to_have_count(1)
    expect(tab.visitor_messages.locator(".asf-chat__feedback")).to_have_count(0)


def test_a_thumbs_down_under_an_older_answer_is_a_vote_only(tab, stack):
    tab.open_with_keyboard()
    tab.ask("Vilken företagsform har ett ASF?")
    expect(tab.bot_messages.last).to_contain_text("Det finns inte något särskilt regelverk")
    tab.ask("Hur många ASF finns det?")
    expect(tab.bot_messages.last).to_contain_text("358")
    older = feedback_of(tab.bot_messages.nth(1))
    with tab.page.expect_response("**/api/feedback") as response:
        older.get_by_role("button", name="Nej, jag fick inte svar").click()
    assert response.value.status == 204
    # The conversation has moved on: no "det hjälpte inte" step for an earlier answer.
    tab.page.wait_for_timeout(500)
    expect(tab.visitor_messages).to_have_count(2)
    expect(tab.bot_messages.last).to_contain_text("358")
    [row] = votes(stack, tab)
    assert (row["response"], row["vote"]) == ("utter_legal_form", "down")


def test_a_vote_that_cannot_be_stored_is_taken_back_and_the_visitor_is_told(tab, stack):
    tab.page.route(
        "**/api/feedback",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"message": "Omdömet kunde inte sparas just nu."}),
        ),
    )
    tab.open_with_keyboard()
    tab.bot_messages.first.get_by_role("button", name="Villkor för ASF").click()
    answer = tab.bot_messages.last
    expect(answer).to_contain_text("De skapar delaktighet")
    up = feedback_of(answer).get_by_role("button", name="Ja, jag fick svar")
    up.click()
    expect(tab.page.get_by_role("alert")).to_contain_text("Omdömet kunde inte sparas just nu.")
    expect(up).to_have_attribute("aria-pressed", "false")
    stored = json.loads(tab.page.evaluate("localStorage.getItem('asf-chat:history')"))
    assert [e["answer"]["vote"] for e in stored if e.get("answer")] == [None]


def test_no_serious_accessibility_violations_with_the_vote_shown_and_pressed(browser, stack):
    # axe-core is injected as a script: allowed past the page's CSP in this test only.
    tab = visit(browser, stack, bypass_csp=True)
    try:
        tab.open_with_keyboard()
        tab.bot_messages.first.get_by_role("button", name="Stöd att söka").click()
        answer = tab.bot_messages.last
        expect(answer).to_contain_text("stöd att söka")
        expect(feedback_of(answer)).to_be_visible()
        assert tab.axe_violations() == []
        feedback_of(answer).get_by_role("button", name="Ja, jag fick svar").click()
        expect(feedback_of(answer)).to_contain_text("Tack för ditt svar!")
        assert tab.axe_violations() == []
        tab.screenshot("feedback-4-axe")
    finally:
        tab.page.context.close()


def chat(stack: Supervisor, session: str, message: str) -> list[dict]:
    request = urllib.request.Request(
        f"{stack.config.web_url}/api/chat",
        data=json.dumps({"session": session, "message": message}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["replies"]


def test_the_running_bot_names_each_reply_s_response_also_when_a_custom_action_utters_it(
    stack,
):
    session = "feedback-e2e-names-0001"
    [greeting] = chat(stack, session, "/greet")
    assert (greeting["response"], greeting["answer"]) == ("utter_greet", False)
    replies = chat(stack, session, "Vad är ett ASF?")
    assert [(r["response"], r["answer"]) for r in replies] == [("utter_what_is_asf", True)]
    # action_change_answer, with no checklist answer to change, utters
    # dispatcher.utter_message(response="utter_nothing_asked").
    replies = chat(stack, session, '/change_answer{"criterion":"purpose"}')
    assert [(r["response"], r["answer"]) for r in replies] == [("utter_nothing_asked", False)]
    # A text a custom action writes itself has no response name.
    replies = chat(stack, session, "blorp fnurp quux")
    assert [(r["response"], r["answer"]) for r in replies] == [(None, False)]
