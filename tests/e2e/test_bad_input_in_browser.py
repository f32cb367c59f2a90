"""Unreadable characters typed or pasted into the widget, in a real browser.

A browser's JSON.stringify sends a lone surrogate as "\\ud800"; the web app cleans it away
and the bot answers what is left, or, when nothing is left, refuses with a clear message
and the visitor's text stays in the input.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e import test_widget_in_browser as widget_tests
from tests.e2e.test_widget_in_browser import Visit

# The browser, the running bot and a visitor's tab, as the widget's own browser tests
# start them: pytest finds fixtures by their names in this module.
browser = widget_tests.browser
stack = widget_tests.stack
tab = widget_tests.tab

UNREADABLE = "Chatten kunde inte läsa tecknen i meddelandet. Skriv din fråga med vanliga bokstäver."


def type_in_page(visit: Visit, js_string: str) -> None:
    """Put a JavaScript string literal in the input (a lone surrogate cannot cross from
    Python to the page as text) and press Enter."""
    visit.page.evaluate(
        f"() => {{ document.querySelector('.asf-chat__input').value = {js_string}; }}"
    )
    visit.input.press("Enter")


def test_only_unreadable_characters_are_refused_and_stay_in_the_input(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    type_in_page(tab, "'\\uD800\\u0000\\u202E'")
    expect(tab.page.get_by_role("alert").locator("p")).to_have_text(UNREADABLE)
    kept = tab.page.evaluate(
        "() => document.querySelector('.asf-chat__input').value === '\\uD800\\u0000\\u202E'"
    )
    assert kept, "the visitor's text is not back in the input"
    expect(tab.visitor_messages).to_have_count(0)
    expect(tab.page.get_by_role("button", name="Försök igen")).to_be_hidden()


def test_a_question_with_a_lone_surrogate_in_it_gets_its_answer(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    type_in_page(tab, "'Vad är ett ASF?\\uD800\\u0007'")
    expect(tab.bot_messages.last).to_contain_text("driver näringsverksamhet")
    expect(tab.visitor_messages).to_have_count(1)
    expect(tab.visitor_messages.first).to_contain_text("Vad är ett ASF?")
    expect(tab.page.get_by_role("alert")).to_be_hidden()
    assert tab.errors == []
