"""The chat widget in a real browser (Debian's Chromium) against the whole running bot.

The Rasa server, the action server and the web app are started as `make run` starts them,
on free ports. Screenshots go to var/test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.runtime.launcher import Supervisor
from bot.runtime.settings import PROJECT_ROOT
from tests.conftest import running_bot

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches out: this machine's network is closed.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"
ANSWER_TIMEOUT = 30_000  # ms: the first answer of a fresh Rasa server takes a few seconds
UNREACHABLE = "Chatten går inte att nå just nu. Försök igen, eller ring 08-681 9223."

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory) -> Iterator[Supervisor]:
    with running_bot(trained_model, tmp_path_factory.mktemp("var"), "test-token") as supervisor:
        yield supervisor


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """One visitor's browser tab, with what it showed that a visitor would not want."""

    page: Page
    url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def launcher(self):
        return self.page.get_by_role("button", name="Chatta med oss")

    @property
    def panel(self):
        return self.page.get_by_role("dialog", name="ASF-hjälpen")

    @property
    def input(self):
        return self.page.get_by_label("Skriv din fråga")

    @property
    def bot_messages(self):
        return self.page.locator(".asf-chat__msg--bot")

    @property
    def visitor_messages(self):
        return self.page.locator(".asf-chat__msg--user")

    def open_with_keyboard(self) -> None:
        """Tab to the launcher, as a keyboard user would, and press Enter."""
        for _ in range(40):
            self.page.keyboard.press("Tab")
            if self.page.evaluate(
                "document.activeElement.classList.contains('asf-chat__launcher')"
            ):
                break
        else:
            pytest.fail("the launcher cannot be reached with Tab")
        self.page.keyboard.press("Enter")
        expect(self.panel).to_be_visible()

    def ask(self, question: str) -> None:
        """Type a question into the focused input and press Enter."""
        self.input.fill(question)
        self.input.press("Enter")

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def axe_violations(self) -> list[dict]:
        """Serious and critical WCAG 2.x A/AA violations axe-core finds on the page."""
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            """() => axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                 'best-practice']}
            })"""
        )
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]


def visit(browser: Browser, stack: Supervisor, **context_options) -> Visit:
    context = browser.new_context(
        viewport=context_options.pop("viewport", {"width": 1280, "height": 900}),
        locale="sv-SE",
        **context_options,
    )
    page = context.new_page()
    page.set_default_timeout(ANSWER_TIMEOUT)
    result = Visit(page=page, url=stack.config.web_url)

    def on_dialog(dialog) -> None:
        result.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: result.errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and result.errors.append(m.text))
    page.goto(result.url)
    return result


@pytest.fixture
def tab(browser, stack) -> Iterator[Visit]:
    visit_ = visit(browser, stack)
    yield visit_
    visit_.page.context.close()


def test_a_keyboard_user_opens_the_chat_asks_and_gets_the_answer(tab):
    expect(tab.panel).to_be_hidden()
    tab.open_with_keyboard()
    expect(tab.input).to_be_focused()
    greeting = tab.bot_messages.first
    expect(greeting).to_contain_text("Hej! Jag är ASF-hjälpen")
    for topic in ("Vad är ett ASF?", "Villkor för ASF", "Stöd att söka", "Kontakt"):
        expect(greeting.get_by_role("button", name=topic)).to_be_visible()
    expect(tab.page.get_by_role("link", name="Så behandlar vi personuppgifter")).to_be_visible()

    tab.page.keyboard.type("Vad är ett ASF?")
    tab.page.keyboard.press("Enter")
    expect(tab.visitor_messages.last).to_have_text("Du: Vad är ett ASF?")
    answer = tab.bot_messages.last
    expect(answer).to_contain_text("driver näringsverksamhet")
    expect(answer).to_contain_text("minst två affärsidéer")
    # Announced to screen readers through the live region.
    expect(tab.page.locator(".asf-chat [aria-live='polite']")).to_contain_text(
        "driver näringsverksamhet"
    )
    expect(tab.page.locator(".asf-chat__typing")).to_be_hidden()
    tab.screenshot("1-answer")

    tab.page.keyboard.press("Escape")
    expect(tab.panel).to_be_hidden()
    expect(tab.launcher).to_be_focused()
    assert tab.errors == [], "console errors (a CSP violation shows here too)"


def test_a_quick_reply_sends_its_topic_and_the_answer_follows(tab):
    tab.open_with_keyboard()
    tab.bot_messages.first.get_by_role("button", name="Vad är ett ASF?").click()
    expect(tab.visitor_messages.last).to_have_text("Du: Vad är ett ASF?")
    expect(tab.bot_messages.last).to_contain_text("driver näringsverksamhet")
    # The answer offers its own follow-ups; the greeting's buttons are gone.
    expect(tab.bot_messages.first.get_by_role("button")).to_have_count(0)
    tab.bot_messages.last.get_by_role("button", name="Villkor för ASF").click()
    expect(tab.visitor_messages.last).to_have_text("Du: Villkor för ASF")
    expect(tab.bot_messages.last).to_contain_text("De skapar delaktighet för medarbetarna")
    expect(tab.input).to_be_focused()
    tab.screenshot("2-quick-reply")


def test_a_question_typed_before_the_greeting_arrives_is_shown_below_it(tab):
    held = []

    def hold_the_greeting(route):
        if "/greet" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    tab.page.route("**/api/chat", hold_the_greeting)
    tab.open_with_keyboard()
    tab.ask("Vad är ett ASF?")
    expect(tab.visitor_messages).to_have_text(["Du: Vad är ett ASF?"])
    tab.page.wait_for_function("() => true")  # lets the route handler run
    assert len(held) == 1, "the greeting was not the first message sent"
    expect(tab.bot_messages).to_have_count(0)
    held[0].continue_()

    expect(tab.bot_messages.last).to_contain_text("driver näringsverksamhet")
    shown = [
        " ".join(text.split()) for text in tab.page.locator(".asf-chat__msg").all_inner_texts()
    ]
    assert "Hej! Jag är ASF-hjälpen" in shown[0]
    assert shown[1] == "Du: Vad är ett ASF?"
    assert all("driver näringsverksamhet" not in text for text in shown[:2])
    assert any("driver näringsverksamhet" in text for text in shown[2:])


def test_the_conversation_survives_a_reload_and_moving_to_another_page(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    tab.ask("Hur många ASF finns det?")
    expect(tab.bot_messages.last).to_contain_text("358")
    session = tab.page.evaluate("localStorage.getItem('asf-chat:session')")

    tab.page.reload()
    expect(tab.panel).to_be_visible()  # it was open: it stays open
    expect(tab.visitor_messages).to_have_text(["Du: Hur många ASF finns det?"])
    expect(tab.bot_messages.last).to_contain_text("358")
    tab.screenshot("3-after-reload")

    tab.page.get_by_role("link", name="Så behandlar vi personuppgifter").click()
    expect(tab.page).to_have_url(f"{tab.url}/integritet")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Behandling av personuppgifter")
    expect(tab.visitor_messages).to_have_text(["Du: Hur många ASF finns det?"])
    assert tab.page.evaluate("localStorage.getItem('asf-chat:session')") == session

    # The bot still knows the conversation: same session id, same Rasa tracker.
    tab.ask("och hur många är anställda?")
    expect(tab.bot_messages.last).to_contain_text("9 200")


def test_new_conversation_starts_afresh(tab):
    tab.open_with_keyboard()
    tab.ask("Vad är ett ASF?")
    expect(tab.bot_messages.last).to_contain_text("driver näringsverksamhet")
    session = tab.page.evaluate("localStorage.getItem('asf-chat:session')")
    tab.page.get_by_role("button", name="Ny konversation").click()
    expect(tab.visitor_messages).to_have_count(0)
    expect(tab.bot_messages).to_have_count(1)
    expect(tab.bot_messages.first).to_contain_text("Hej! Jag är ASF-hjälpen")
    assert tab.page.evaluate("localStorage.getItem('asf-chat:session')") != session
    expect(tab.input).to_be_focused()


def test_links_in_answers_are_clickable(tab):
    tab.open_with_keyboard()
    tab.bot_messages.first.get_by_role("button", name="Kontakt").click()
    expect(tab.bot_messages.last).to_contain_text("08-681 9223")
    mail = tab.bot_messages.last.get_by_role("link", name="eva.carlsson@tillvaxtverket.se")
    expect(mail).to_have_attribute("href", "mailto:eva.carlsson@tillvaxtverket.se")

    tab.ask("hur behandlar ni personuppgifter")
    link = tab.bot_messages.last.get_by_role("link", name="tillvaxtverket.se/personuppgifter")
    expect(link).to_have_attribute("href", "https://tillvaxtverket.se/personuppgifter")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    # The full stop after the address is text, not part of the link.
    assert link.evaluate("a => a.nextSibling.textContent") == "."
    tab.screenshot("4-links")


def test_markup_typed_by_a_visitor_is_shown_as_text_and_never_runs(browser, stack):
    # Without the page's Content-Security-Policy, so the widget alone must keep it inert.
    tab = visit(browser, stack, bypass_csp=True)
    try:
        tab.open_with_keyboard()
        expect(tab.bot_messages.first).to_contain_text("Hej!")
        attack = "<img src=x onerror=alert(1)>"
        tab.ask(attack)
        expect(tab.visitor_messages.last).to_have_text(f"Du: {attack}")
        expect(tab.bot_messages).to_have_count(2)
        tab.ask('<script>alert("xss")</script> https://example.invalid/"><b>x</b>')
        expect(tab.bot_messages).to_have_count(3)
        assert tab.page.locator(".asf-chat img, .asf-chat script, .asf-chat b").count() == 0
        tab.page.wait_for_timeout(500)
        assert tab.dialogs == []
        stored = json.loads(tab.page.evaluate("localStorage.getItem('asf-chat:history')"))
        assert {"from": "user", "text": attack} in stored

        tab.page.reload()  # rendered again from storage: still text
        expect(tab.visitor_messages.first).to_have_text(f"Du: {attack}")
        assert tab.page.locator(".asf-chat img").count() == 0
        assert tab.dialogs == []
        tab.screenshot("5-markup-as-text")
    finally:
        tab.page.context.close()


def test_an_empty_or_too_long_message_gets_a_friendly_answer_and_nothing_is_lost(tab):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    tab.ask("   ")
    alert = tab.page.get_by_role("alert")
    expect(alert.locator("p")).to_have_text("Skriv en fråga först.")
    long_question = "Vad är ett ASF? " * 40
    tab.ask(long_question)
    expect(alert.locator("p")).to_contain_text("Meddelandet är för långt")
    expect(tab.input).to_have_value(long_question)
    expect(tab.visitor_messages).to_have_count(0)
    expect(tab.page.get_by_role("button", name="Försök igen")).to_be_hidden()


def test_no_serious_accessibility_violations_with_the_panel_closed_or_open(browser, stack):
    # axe-core is injected as a script: allowed past the page's CSP in this test only.
    tab = visit(browser, stack, bypass_csp=True)
    try:
        assert tab.axe_violations() == []
        tab.open_with_keyboard()
        tab.bot_messages.first.get_by_role("button", name="Vad är ett ASF?").click()
        expect(tab.bot_messages.last).to_contain_text("driver näringsverksamhet")
        assert tab.axe_violations() == []
        tab.page.goto(f"{tab.url}/integritet")
        expect(tab.panel).to_be_visible()
        assert tab.axe_violations() == []
    finally:
        tab.page.context.close()


def horizontal_overflow(tab: Visit) -> int:
    return tab.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize(
    ("name", "viewport"),
    [
        ("phone-360px", {"width": 360, "height": 740}),
        # 200 % zoom of a 1280 x 900 window: half as many CSS pixels each way.
        ("zoom-200", {"width": 640, "height": 450}),
    ],
)
def test_a_phone_and_200_percent_zoom_need_no_horizontal_scrolling(browser, stack, name, viewport):
    tab = visit(browser, stack, viewport=viewport)
    try:
        assert horizontal_overflow(tab) == 0
        tab.screenshot(f"6-{name}-page")
        tab.open_with_keyboard()
        tab.bot_messages.first.get_by_role("button", name="Villkor för ASF").click()
        expect(tab.bot_messages.last).to_contain_text("De skapar delaktighet")
        assert horizontal_overflow(tab) == 0
        box = tab.panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        for control in (tab.input, tab.page.get_by_role("button", name="Skicka")):
            expect(control).to_be_in_viewport()
        tab.screenshot(f"6-{name}-chat")
    finally:
        tab.page.context.close()


def test_reduced_motion_turns_the_animations_off(browser, stack):
    tab = visit(browser, stack, reduced_motion="reduce")
    try:
        tab.open_with_keyboard()
        animation = tab.panel.evaluate("el => getComputedStyle(el).animationName")
        assert animation == "none"
    finally:
        tab.page.context.close()


def test_when_the_bot_is_down_the_visitor_is_told_and_retry_works_once_it_is_back(tab, stack):
    tab.open_with_keyboard()
    expect(tab.bot_messages.first).to_contain_text("Hej!")
    stack.stop_server("Rasa server")
    try:
        tab.ask("Vad är ett ASF?")
        alert = tab.page.get_by_role("alert")
        expect(alert).to_contain_text(UNREACHABLE)
        retry = tab.page.get_by_role("button", name="Försök igen")
        expect(retry).to_be_visible()
        expect(tab.visitor_messages.last).to_have_text("Du: Vad är ett ASF?")  # not lost
        tab.screenshot("7-bot-down")

        with tab.page.expect_response("**/api/chat") as response:
            retry.click()  # still down: the same message goes again, and fails again
        assert response.value.request.post_data_json["message"] == "Vad är ett ASF?"
        assert response.value.status == 503
        expect(alert).to_contain_text(UNREACHABLE)
    finally:
        stack.start_server("Rasa server")
        stack.wait_until_ready(["Rasa server"])
    tab.page.get_by_role("button", name="Försök igen").click()
    expect(tab.bot_messages.last).to_contain_text("driver näringsverksamhet")
    expect(tab.page.get_by_role("alert")).to_be_hidden()
    expect(tab.visitor_messages).to_have_count(1)
    tab.screenshot("8-bot-back")
