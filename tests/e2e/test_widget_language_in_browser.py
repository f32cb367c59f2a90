"""The widget in English and in lättläst, in Debian's Chromium against the whole running bot.

"In English" / "På svenska" and "Lättläst" / "Vanlig svenska" switch the conversation;
the widget's own texts, its lang and data-lang attributes and the demo page's
<html lang> follow what Rasa tells with each answer; an English message switches too;
a reload and a new conversation keep the choice; axe-core finds nothing serious in
either language. Screenshots go to var/test-artifacts/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
import yaml
from playwright.sync_api import expect

from bot.runtime.launcher import Supervisor
from bot.runtime.settings import PROJECT_ROOT
from tests.conftest import running_bot
from tests.e2e import test_widget_in_browser as widget_tests
from tests.e2e.test_widget_in_browser import Visit, visit

pytestmark = pytest.mark.model

# Debian's Chromium, started once for the module as the widget's browser tests start it.
browser = widget_tests.browser


# The privacy statement in English and lättläst, for content that does not have them yet
# (content/privacy.yml's `en:` and `lattlast:` sections); the content's own when it does.
EN_STATEMENT = (
    "If you fill in your e-mail address, it is stored by Tillväxtverket, and we are "
    "responsible for this information. We store the e-mail address only so that we can "
    "answer you if you have a question. Read more about how we process personal data at "
    "tillvaxtverket.se/personuppgifter.\nThe Swedish text applies:\n{swedish}"
)
LATTLAST_STATEMENT = (
    "Om du skriver din e-postadress,\nså sparar Tillväxtverket den.\n"
    "Läs mer på tillvaxtverket.se/personuppgifter."
)


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory) -> Iterator[Supervisor]:
    content = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    privacy = yaml.safe_load((content / "privacy.yml").read_text(encoding="utf-8"))
    privacy.setdefault("en", {}).setdefault("statement", EN_STATEMENT)
    privacy.setdefault("lattlast", {}).setdefault("statement", LATTLAST_STATEMENT)
    (content / "privacy.yml").write_text(yaml.safe_dump(privacy, allow_unicode=True), "utf-8")
    env = {"ASF_CONTENT_DIR": str(content)}
    var_dir = tmp_path_factory.mktemp("var")
    with running_bot(trained_model, var_dir, "test-token", env) as supervisor:
        yield supervisor


@pytest.fixture
def tab(browser, stack) -> Iterator[Visit]:
    visit_ = visit(browser, stack)
    yield visit_
    visit_.page.context.close()


def widget(tab: Visit):
    return tab.page.locator(".asf-chat")


def chat_input(tab: Visit):
    """The message input, whatever its label's language."""
    return tab.page.locator("#asf-chat-input")


def ask(tab: Visit, question: str) -> None:
    chat_input(tab).fill(question)
    chat_input(tab).press("Enter")


def expect_variant(tab: Visit, lang: str, reading: str) -> None:
    """The widget's, the script tag's and the page's language attributes say so."""
    expect(widget(tab)).to_have_attribute("lang", lang)
    expect(widget(tab)).to_have_attribute("data-lang", lang)
    expect(widget(tab)).to_have_attribute("data-reading", reading)
    expect(tab.page.locator("html")).to_have_attribute("lang", lang)
    expect(tab.page.locator("script[src$='widget.js']")).to_have_attribute("data-lang", lang)


def expect_swedish_texts(tab: Visit) -> None:
    expect(tab.page.get_by_label("Skriv din fråga")).to_have_attribute(
        "placeholder", "Skriv din fråga"
    )
    expect(tab.page.get_by_role("button", name="Skicka")).to_be_visible()
    expect(tab.page.get_by_role("button", name="Ny konversation")).to_have_text("Ny")
    expect(tab.page.get_by_role("link", name="Så behandlar vi personuppgifter")).to_be_visible()
    expect(tab.page.get_by_role("group", name="Konversationen:")).to_be_visible()


def expect_english_texts(tab: Visit) -> None:
    expect(tab.page.get_by_label("Write your question")).to_have_attribute(
        "placeholder", "Write your question"
    )
    expect(tab.page.get_by_role("button", name="Send", exact=True)).to_be_visible()
    expect(tab.page.get_by_role("button", name="New conversation")).to_have_text("New")
    expect(tab.page.get_by_role("button", name="Save the conversation")).to_have_text("Save")
    expect(tab.page.get_by_role("button", name="Delete the conversation")).to_have_text("Delete")
    expect(tab.page.get_by_role("link", name="How we process personal data")).to_have_attribute(
        "href", f"{tab.url}/integritet#in-english"
    )
    expect(tab.page.get_by_role("group", name="Conversation:")).to_be_visible()
    expect(tab.page.get_by_role("group", name="Language:")).to_be_visible()
    expect(tab.page.get_by_role("button", name="Close the chat")).to_be_visible()


def expect_lattlast_texts(tab: Visit) -> None:
    expect(tab.page.get_by_label("Skriv din fråga")).to_be_visible()
    expect(tab.page.get_by_role("button", name="Börja om")).to_be_visible()
    expect(tab.page.get_by_role("button", name="Ta bort allt vi skrev")).to_have_text("Ta bort")
    expect(tab.page.get_by_role("group", name="Du kan:")).to_be_visible()
    expect(tab.page.get_by_role("link", name="Så gör vi med dina uppgifter")).to_have_attribute(
        "href", f"{tab.url}/integritet#lattlast"
    )


def answer_text(message):
    """The text of one message in the log, without the name said before it."""
    return message.locator(".asf-chat__text")


def pressed(tab: Visit) -> list[str]:
    """The names of the pressed choices, in the order the widget shows them."""
    return tab.page.locator(".asf-chat__variant[aria-pressed='true']").all_inner_texts()


def stored_choice(tab: Visit) -> dict:
    return json.loads(tab.page.evaluate("localStorage.getItem('asf-chat:variant')") or "null")


def test_in_english_and_back_the_widgets_own_texts_and_languages_follow(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej! Jag är ASF-hjälpen")
    expect_variant(tab, "sv", "standard")
    expect_swedish_texts(tab)
    assert pressed(tab) == ["På svenska", "Vanlig svenska"]
    # Each choice is named in its own language, and marked so.
    english = tab.page.get_by_role("button", name="In English", exact=True)
    expect(english).to_have_attribute("lang", "en")
    expect(english).to_have_attribute("aria-pressed", "false")

    english.click()
    expect_variant(tab, "en", "standard")
    expect_english_texts(tab)
    expect(english).to_have_attribute("aria-pressed", "true")
    assert pressed(tab) == ["In English"]
    expect(tab.visitor_messages.last).to_have_text("You: In English")
    # The answer is marked as English; the Swedish greeting above it stays Swedish.
    expect(answer_text(tab.bot_messages.last)).to_have_attribute("lang", "en")
    expect(answer_text(tab.bot_messages.first)).to_have_attribute("lang", "sv")
    expect(chat_input(tab)).to_be_focused()
    assert stored_choice(tab) == {"lang": "en", "reading": "standard"}
    tab.screenshot("lang-1-english")

    tab.page.get_by_role("button", name="På svenska", exact=True).click()
    expect_variant(tab, "sv", "standard")
    expect_swedish_texts(tab)
    assert pressed(tab) == ["På svenska", "Vanlig svenska"]
    assert stored_choice(tab) == {"lang": "sv", "reading": "standard"}
    assert tab.errors == []


def test_lattlast_and_back_to_standard_swedish(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    tab.page.get_by_role("button", name="Lättläst", exact=True).click()
    expect_variant(tab, "sv", "lattlast")
    expect_lattlast_texts(tab)
    assert pressed(tab) == ["På svenska", "Lättläst"]
    expect(tab.visitor_messages.last).to_have_text("Du: Lättläst")
    # Lättläst answers and notices keep their line breaks.
    confirmation = answer_text(tab.bot_messages.last)
    expect(confirmation).to_contain_text("Nu skriver jag lätt svenska.")
    lines = confirmation.inner_text().split("\n")
    assert lines[0] == "Nu skriver jag lätt svenska." and len(lines) > 3, lines
    ask(tab, "x" * 600)
    alert = tab.page.get_by_role("alert")
    expect(alert.locator("p")).to_contain_text("Du skrev för mycket.")
    lines = alert.locator("p").inner_text().split("\n")
    assert lines[0] == "Du skrev för mycket." and lines[-1] == "Försök sedan igen.", lines
    tab.screenshot("lang-2-lattlast")

    chat_input(tab).fill("")
    tab.page.get_by_role("button", name="Vanlig svenska", exact=True).click()
    expect_variant(tab, "sv", "standard")
    expect_swedish_texts(tab)
    assert pressed(tab) == ["På svenska", "Vanlig svenska"]


def test_a_message_in_english_gets_the_widget_in_english(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    ask(tab, "What is an ASF and who can get support?")
    expect_variant(tab, "en", "standard")
    expect_english_texts(tab)
    expect(answer_text(tab.bot_messages.last)).to_have_attribute("lang", "en")
    # A Swedish message switches back.
    ask(tab, "Vad är ett arbetsintegrerande socialt företag?")
    expect_variant(tab, "sv", "standard")
    expect_swedish_texts(tab)


def test_a_reload_and_a_new_conversation_keep_the_choice(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    tab.page.get_by_role("button", name="In English", exact=True).click()
    expect_english_texts(tab)
    count = tab.bot_messages.count()

    tab.page.reload()
    expect(tab.panel).to_be_visible()
    expect_variant(tab, "en", "standard")
    expect_english_texts(tab)
    expect(tab.bot_messages).to_have_count(count)
    tab.page.get_by_role("button", name="Close the chat").click()
    expect(tab.page.get_by_role("button", name="Chat with us")).to_be_focused()
    tab.page.get_by_role("button", name="Chat with us").click()

    # A new conversation starts in English: the choice goes first, unshown.
    tab.page.get_by_role("button", name="New conversation").click()
    expect(tab.visitor_messages).to_have_count(0)
    expect(tab.bot_messages).to_have_count(1)
    expect(answer_text(tab.bot_messages.first)).to_have_attribute("lang", "en")
    expect_variant(tab, "en", "standard")
    expect_english_texts(tab)

    tab.page.get_by_role("button", name="Lättläst", exact=True).click()
    expect_lattlast_texts(tab)
    tab.page.reload()
    expect_variant(tab, "sv", "lattlast")
    expect_lattlast_texts(tab)
    assert stored_choice(tab) == {"lang": "sv", "reading": "lattlast"}


def test_a_page_that_does_not_opt_in_keeps_its_own_lang(browser, stack):
    tab = visit(browser, stack)
    try:
        tab.page.goto(f"{tab.url}/radgivning")  # the counselling view: its page stays Swedish
        tab.page.get_by_role("button", name="In English", exact=True).click()
        expect(widget(tab)).to_have_attribute("lang", "en")
        expect(tab.page.get_by_role("button", name="Send", exact=True)).to_be_visible()
        expect(tab.page.locator("html")).to_have_attribute("lang", "sv")
    finally:
        tab.page.context.close()


@pytest.mark.parametrize(
    ("name", "check"),
    [("In English", expect_english_texts), ("Lättläst", expect_lattlast_texts)],
)
def test_no_serious_accessibility_violations_in_either_language(browser, stack, name, check):
    # axe-core is injected as a script: allowed past the page's CSP in this test only.
    tab = visit(browser, stack, bypass_csp=True)
    try:
        tab.open_with_keyboard()
        expect(tab.bot_messages.first).to_contain_text("Hej!")
        assert tab.axe_violations() == []
        tab.page.get_by_role("button", name=name, exact=True).click()
        check(tab)
        expect(tab.page.locator(".asf-chat__typing")).to_be_hidden()
        assert tab.axe_violations() == []
        # The privacy link leads to the statement in the widget's variant.
        heading = "In English" if name == "In English" else "Lättläst"
        tab.page.locator(".asf-chat__privacy").click()
        expect(tab.page.get_by_role("heading", level=2, name=heading)).to_be_visible()
        expect(tab.panel).to_be_visible()
        assert tab.axe_violations() == []
    finally:
        tab.page.context.close()


@pytest.mark.parametrize("name", ["In English", "Lättläst"])
def test_on_a_phone_the_choices_and_the_wider_lattlast_panel_need_no_horizontal_scrolling(
    browser, stack, name
):
    viewport = {"width": 360, "height": 740}
    tab = visit(browser, stack, viewport=viewport)
    try:
        tab.open_with_keyboard()
        expect(tab.bot_messages.first).to_contain_text("Hej!")
        tab.page.get_by_role("button", name=name, exact=True).click()
        expect(tab.page.get_by_role("button", name=name, exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        assert widget_tests.horizontal_overflow(tab) == 0
        box = tab.panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        for choice_name in ("På svenska", "In English", "Vanlig svenska", "Lättläst"):
            expect(tab.page.get_by_role("button", name=choice_name, exact=True)).to_be_in_viewport()
        expect(chat_input(tab)).to_be_in_viewport()
        tab.screenshot(f"lang-3-phone-{'en' if name == 'In English' else 'lattlast'}")
    finally:
        tab.page.context.close()


def test_the_erase_dialog_is_in_the_widgets_language(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    tab.page.get_by_role("button", name="In English", exact=True).click()
    expect_english_texts(tab)
    tab.page.get_by_role("button", name="Delete the conversation").click()
    dialog = tab.page.get_by_role("dialog", name="Delete the conversation?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("stays with Tillväxtverket")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


def test_an_english_host_page_starts_a_new_visitor_in_english(browser, stack):
    tab = visit(browser, stack)
    try:

        def english_page(route):
            response = route.fetch()
            body = response.text().replace('data-lang="sv"', 'data-lang="en"')
            route.fulfill(response=response, body=body)

        tab.page.route(f"{tab.url}/", english_page)
        tab.page.goto(f"{tab.url}/")
        expect(tab.page.get_by_role("button", name="Chat with us")).to_be_visible()
        expect_variant(tab, "en", "standard")
        with tab.page.expect_response("**/api/chat") as first:
            tab.page.get_by_role("button", name="Chat with us").click()
        # The choice goes first, unshown; then the greeting, in English.
        assert first.value.request.post_data_json["message"] == "/choose_english"
        expect(tab.bot_messages).to_have_count(1)
        expect(answer_text(tab.bot_messages.first)).to_have_attribute("lang", "en")
        expect(tab.visitor_messages).to_have_count(0)
        expect_english_texts(tab)
    finally:
        tab.page.context.close()
