"""The counselling view (/radgivning) and the widget's own erase and save, in a real browser.

Debian's Chromium against the whole running bot, started as `make run` starts it, with
its mail sent by the mail worker to a real SMTP server (aiosmtpd). What an adviser and a
founder would do in a meeting: the checklist from the panel and from the chat, an answer
changed from the panel, the summary as a page and as a PDF, the summary by mail, and the
end of the meeting, after which neither the server nor the browser keeps anything of it.
Screenshots go to var/test-artifacts/.
"""

from __future__ import annotations

import io
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from bot.domain.pseudonym import conversation_ref
from bot.runtime.launcher import Supervisor
from bot.runtime.settings import DEVELOPMENT_PSEUDONYM_KEY
from tests.conftest import free_port, running_bot
from tests.e2e import test_widget_in_browser as widget_tests
from tests.e2e.test_widget_in_browser import ARTIFACTS, AXE, Visit, visit
from tests.integration.smtp import Received, SmtpTestServer

# Debian's Chromium, started once for the module as the widget's browser tests start it.
browser = widget_tests.browser

pytestmark = pytest.mark.model

LABELS = {
    "business": "Säljer varor eller tjänster",
    "purpose": "Syftet är att integrera människor genom arbete",
    "participation": "Delaktighet genom ägande, avtal eller liknande",
    "reinvestment": "Vinsterna återinvesteras",
    "independence": "Organisatoriskt fristående",
    "public_services": "Tjänster till offentliga aktörer mot ersättning",
}
ORDER = list(LABELS)
ALL_MET = "Utifrån dina svar stämmer verksamheten med alla villkoren"
NOT_ALL_MET = "Utifrån dina svar stämmer verksamheten inte med alla villkoren"
UNCLEAR = "Utifrån dina svar går det inte att säga om verksamheten stämmer med alla villkoren"
STATEMENT = "Om du fyller i din e-postadress sparas den hos Tillväxtverket"
FOUNDER = "grundare.ostrom@exempel.se"
PANEL_UNAVAILABLE = "Villkoren kan inte visas just nu. De visas igen när chatten har svarat."
MONTHS = [
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
]  # fmt: skip


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpTestServer]:
    """The founder's mail server: a real aiosmtpd the mail worker delivers to."""
    server = SmtpTestServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory, smtp) -> Iterator[Supervisor]:
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "MAIL_POLL_SECONDS": "0.2",
        # A test answers faster than any adviser reads: the per-conversation limit
        # (10 at once, then 30 a minute) is for people, and is tested elsewhere.
        "RATE_LIMIT_BURST": "200",
        "RATE_LIMIT_PER_MINUTE": "600",
    }
    var = tmp_path_factory.mktemp("var")
    with running_bot(trained_model, var, "counselling-token", env=env) as supervisor:
        yield supervisor


@dataclass
class Meeting:
    """The counselling view in one browser tab, with what the adviser sees in it."""

    visit: Visit
    downloads: list[Path] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.visit.page

    @property
    def input(self):
        return self.page.get_by_label("Skriv din fråga")

    @property
    def bot_messages(self):
        return self.page.locator(".asf-chat__msg--bot")

    @property
    def visitor_messages(self):
        return self.page.locator(".asf-chat__msg--user")

    @property
    def criteria(self):
        return self.page.get_by_role("region", name="Villkoren")

    def criterion(self, name: str):
        return self.page.locator(f'.criterion[data-criterion="{name}"]')

    def session(self) -> str:
        return self.page.evaluate("window.asfChat.session()")

    def choose(self, title: str) -> None:
        """Click one of the latest bot message's buttons."""
        self.bot_messages.last.get_by_role("button", name=title, exact=True).click()

    def expect_question(self, number: int) -> None:
        expect(self.bot_messages.last).to_contain_text(f"Fråga {number} av 6")

    def answer_all(self, answers: list[str]) -> None:
        """Answer the questions in order with the chat's Ja / Nej / Vet inte buttons."""
        for number, answer in enumerate(answers, start=1):
            self.expect_question(number)
            self.choose(answer)
        expect(self.bot_messages.filter(has_text="Så här blev resultatet:")).not_to_have_count(0)

    def panel(self) -> dict[str, str]:
        """Each criterion's text in the panel, by criterion."""
        return {name: self.criterion(name).inner_text() for name in ORDER}

    def expect_panel(self, answers: dict[str, str]) -> None:
        """The panel shows these answer lines ("Svar: Ja", "Inte besvarad", "Frågas nu")."""
        for name, line in answers.items():
            expect(self.criterion(name).locator(".criterion__answer")).to_have_text(line)

    def storage(self) -> dict[str, list[str]]:
        return self.page.evaluate(
            "() => ({local: Object.keys(localStorage), session: Object.keys(sessionStorage)})"
        )

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"counselling-{name}.png"), full_page=True)


def meeting_at(browser: Browser, stack: Supervisor, **options) -> Meeting:
    tab = visit(browser, stack, accept_downloads=True, **options)
    tab.page.goto(f"{tab.url}/radgivning")
    result = Meeting(tab)
    expect(result.bot_messages.first).to_contain_text("Hej! Jag är ASF-hjälpen")
    expect(result.criterion("public_services")).to_be_visible()
    return result


@pytest.fixture
def meeting(browser, stack) -> Iterator[Meeting]:
    result = meeting_at(browser, stack)
    yield result
    assert result.visit.errors == [], "console errors (a CSP violation shows here too)"
    result.page.context.close()


def download(meeting: Meeting, click, tmp_path: Path) -> Path:
    with meeting.page.expect_download() as info:
        click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def tracker_events(stack: Supervisor, sender: str) -> int:
    with sqlite3.connect(stack.config.var_dir / "tracker.db") as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[
            0
        ]


def app_database(stack: Supervisor) -> dict[str, list[tuple]]:
    """Every row of every table of the app database, by table."""
    with sqlite3.connect(stack.config.var_dir / "app.db") as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name != "alembic_version"
        ]
        return {table: db.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}


def rows_holding(rows: dict[str, list[tuple]], *needles: str) -> list[tuple[str, tuple]]:
    found = []
    for table, table_rows in rows.items():
        for row in table_rows:
            text = " ".join(
                value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                for value in row
            )
            if any(needle in text for needle in needles):
                found.append((table, row))
    return found


def mails_to(smtp: SmtpTestServer, address: str, timeout: float = 60) -> list[Received]:
    """The mails to `address`, once at least one has arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = [mail for mail in list(smtp.received) if address in mail.rcpt_tos]
        if mails:
            return mails
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address} arrived")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def assert_summary_text(text: str, verdict: str) -> None:
    """A summary holds every criterion, the verdict and the Swedish letters intact."""
    flat = re.sub(r"\s+", " ", text)
    for label in LABELS.values():
        assert label in flat, label
    assert verdict in flat
    for letter in "åäö":
        assert letter in flat, letter


# ---- the checklist in the panel and the chat ----


def test_the_checklist_started_from_the_panel_shows_each_answer_live(meeting):
    expect(meeting.criteria.get_by_role("heading", name="Villkoren")).to_be_visible()
    meeting.expect_panel({name: "Inte besvarad" for name in ORDER})
    expect(meeting.page.locator("#verdict")).to_be_hidden()

    meeting.criteria.get_by_role("button", name="Starta checklistan").click()
    meeting.expect_question(1)
    expect(meeting.visitor_messages.last).to_have_text("Du: Starta checklistan")
    meeting.expect_panel({"business": "Frågas nu", "purpose": "Inte besvarad"})
    expect(meeting.criterion("business").locator("[aria-current='step']")).to_have_count(1)
    expect(meeting.criteria.get_by_role("button", name="Starta checklistan")).to_be_hidden()

    meeting.choose("Ja")
    meeting.expect_question(2)
    meeting.expect_panel({"business": "Svar: Ja", "purpose": "Frågas nu"})
    expect(meeting.criterion("business")).to_contain_text("Utfall: uppfyllt")
    # Announced once, briefly, by the panel's own live region.
    expect(meeting.page.locator("#criteria-live")).to_contain_text(
        f"{LABELS['business']}: Svar: Ja"
    )

    for number, answer in enumerate(["Ja", "Nej", "Ja", "Vet inte", "Ja"], start=2):
        meeting.expect_question(number)
        meeting.choose(answer)
    expect(meeting.page.locator("#verdict")).to_contain_text(NOT_ALL_MET)
    meeting.expect_panel(
        {
            "business": "Svar: Ja",
            "purpose": "Svar: Ja",
            "participation": "Svar: Nej",
            "reinvestment": "Svar: Ja",
            "independence": "Svar: Vet inte",
            "public_services": "Svar: Ja",
        }
    )
    expect(meeting.criterion("participation")).to_contain_text("Utfall: inte uppfyllt")
    expect(meeting.criterion("independence")).to_contain_text("Utfall: oklart")
    # Not by colour alone: the outcome is written out, and an icon differs too.
    icons = {n: meeting.criterion(n).locator(".criterion__icon").inner_text() for n in ORDER}
    assert len({icons["business"], icons["participation"], icons["independence"]}) == 3
    meeting.screenshot("1-checklist-from-the-panel")


def chat_outcomes(result_text: str) -> dict[str, str]:
    """The outcome of each criterion in the bot's result message ("• label: outcome")."""
    lines = dict(
        line[2:].split(": ", 1) for line in result_text.splitlines() if line.startswith("• ")
    )
    return {name: lines[label] for name, label in LABELS.items() if label in lines}


def test_an_answer_changed_by_clicking_its_criterion_is_asked_again_and_both_agree(meeting):
    meeting.input.fill("kan vi bli ett asf?")
    meeting.input.press("Enter")  # the checklist from the chat, typed
    meeting.answer_all(["Ja", "Ja", "Nej", "Ja", "Ja", "Ja"])
    expect(meeting.page.locator("#verdict")).to_contain_text(NOT_ALL_MET)

    meeting.criterion("participation").get_by_role("button").click()
    expect(meeting.visitor_messages.last).to_have_text(
        f"Du: Ändra svaret: {LABELS['participation']}"
    )
    meeting.expect_question(3)
    meeting.expect_panel({"participation": "Frågas nu", "business": "Svar: Ja"})
    expect(meeting.page.locator("#verdict")).to_be_hidden()
    expect(meeting.input).to_be_focused()

    meeting.choose("Ja")
    # The result again, now with every criterion met (the verdict is a message of its own).
    expect(meeting.bot_messages.filter(has_text=ALL_MET)).to_have_count(1)
    result = meeting.bot_messages.filter(has_text="Så här blev resultatet:").last
    expect(meeting.page.locator("#verdict")).to_contain_text(ALL_MET)
    meeting.expect_panel({name: "Svar: Ja" for name in ORDER})
    # The chat's result and the panel say the same of every criterion.
    in_chat = chat_outcomes(result.inner_text())
    assert set(in_chat) == set(ORDER)
    for name, outcome in in_chat.items():
        expect(meeting.criterion(name)).to_contain_text(f"Utfall: {outcome}")

    # The same by keyboard: Space on a criterion changes it too.
    meeting.criterion("reinvestment").get_by_role("button").focus()
    meeting.page.keyboard.press("Space")
    meeting.expect_question(4)
    meeting.expect_panel({"reinvestment": "Frågas nu"})
    meeting.choose("Vet inte")
    expect(meeting.bot_messages.filter(has_text=UNCLEAR)).to_have_count(1)
    expect(meeting.page.locator("#verdict")).to_contain_text(UNCLEAR)
    meeting.expect_panel({"reinvestment": "Svar: Vet inte"})
    meeting.screenshot("2-changed-from-the-panel")


def test_the_panel_shows_the_conversation_after_a_reload_and_on_the_demo_page(meeting):
    meeting.criteria.get_by_role("button", name="Starta checklistan").click()
    meeting.expect_question(1)
    meeting.choose("Nej")
    meeting.expect_question(2)
    meeting.page.reload()
    meeting.expect_panel({"business": "Svar: Nej", "purpose": "Frågas nu"})
    expect(meeting.visitor_messages).to_have_text(["Du: Starta checklistan", "Du: Nej"])
    # The same conversation in the floating widget on the other pages.
    session = meeting.session()
    meeting.page.goto(meeting.visit.url)
    meeting.page.get_by_role("button", name="Chatta med oss").click()
    expect(meeting.visitor_messages.last).to_have_text("Du: Nej")
    assert meeting.page.evaluate("localStorage.getItem('asf-chat:session')") == f'"{session}"'


def test_when_the_bot_is_down_the_panel_says_so_and_retry_shows_it_once_it_is_back(browser, stack):
    meeting = meeting_at(browser, stack)
    try:
        meeting.criteria.get_by_role("button", name="Starta checklistan").click()
        meeting.expect_question(1)
        meeting.choose("Ja")
        meeting.expect_question(2)
        meeting.expect_panel({"business": "Svar: Ja"})
        stack.stop_server("Rasa server")
        try:
            meeting.page.reload()
            status = meeting.page.locator("#criteria-status")
            expect(status).to_have_text(PANEL_UNAVAILABLE)
            expect(status).to_have_attribute("role", "status")
            retry = meeting.criteria.get_by_role("button", name="Försök igen")
            expect(retry).to_be_visible()
            expect(meeting.criterion("business")).to_have_count(0)  # nothing stale or made up
        finally:
            stack.start_server("Rasa server")
            stack.wait_until_ready(["Rasa server"])
        retry.click()
        meeting.expect_panel({"business": "Svar: Ja", "purpose": "Frågas nu"})
        expect(status).to_be_hidden()
        expect(retry).to_be_hidden()
    finally:
        meeting.page.context.close()


# ---- the summary ----


def test_the_summary_page_holds_the_meeting_and_prints_without_the_chat(meeting, browser, stack):
    meeting.criteria.get_by_role("button", name="Starta checklistan").click()
    meeting.answer_all(["Ja", "Ja", "Ja", "Ja", "Nej", "Ja"])
    with meeting.page.context.expect_page() as opened:
        meeting.page.get_by_role("button", name="Sammanfattning").click()
    summary = opened.value
    summary.wait_for_url("**/radgivning/sammanfattning")
    text = summary.locator("body").inner_text()
    assert_summary_text(text, NOT_ALL_MET)
    flat = re.sub(r"\s+", " ", text)
    today = date.today()
    in_words = f"{today.day} {MONTHS[today.month - 1]} {today.year}"
    assert today.isoformat() in flat or in_words in flat, "the meeting's date is missing"
    assert "Nej" in flat and "inte uppfyllt" in flat
    assert "tillvaxtverket.se" in flat  # the source
    assert meeting.session() not in summary.url  # the session never goes in a URL
    summary.screenshot(path=str(ARTIFACTS / "counselling-3-summary.png"), full_page=True)

    summary.emulate_media(media="print")
    for chrome in (".asf-chat", ".asf-chat__launcher", "button", "nav"):
        for element in summary.locator(chrome).all():
            expect(element).to_be_hidden()
    assert_summary_text(summary.locator("body").inner_text(), NOT_ALL_MET)
    summary.pdf(path=str(ARTIFACTS / "counselling-3-summary-printed.pdf"), format="A4")


def test_the_pdf_download_holds_every_criterion_and_the_verdict(meeting, tmp_path):
    meeting.criteria.get_by_role("button", name="Starta checklistan").click()
    meeting.answer_all(["Ja", "Vet inte", "Ja", "Ja", "Ja", "Ja"])
    path = download(
        meeting, meeting.page.get_by_role("button", name="Ladda ner PDF").click, tmp_path
    )
    assert path.name == f"sammanfattning-{date.today().isoformat()}.pdf"
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert_summary_text(pdf_text(data), UNCLEAR)
    # Still on the counselling view, the chat as it was.
    expect(meeting.page).to_have_url(re.compile(r"/radgivning$"))
    expect(meeting.visitor_messages.first).to_have_text("Du: Starta checklistan")


# ---- by mail, and the end of the meeting ----


def test_a_summary_mailed_to_the_founder_and_the_end_of_the_meeting_leaves_nothing(
    meeting, stack, smtp
):
    meeting.criteria.get_by_role("button", name="Starta checklistan").click()
    meeting.answer_all(["Ja", "Ja", "Ja", "Ja", "Ja", "Ja"])
    session = meeting.session()
    ref = conversation_ref(DEVELOPMENT_PSEUDONYM_KEY, session)
    rows_before = app_database(stack)
    checklists_before = len(rows_before["checklist_results"])
    assert rows_holding(rows_before, ref), "the completed checklist was not stored"

    meeting.page.get_by_role("button", name="Skicka till mig").click()
    expect(meeting.visitor_messages.last).to_have_text("Du: Skicka sammanfattningen till mig")
    # The consent flow first: the privacy statement, the purpose, a Ja / Nej question.
    expect(meeting.bot_messages.filter(has_text=STATEMENT)).to_have_count(1)
    expect(meeting.bot_messages.filter(has_text="sammanfattningen")).not_to_have_count(0)
    meeting.choose("Ja")
    expect(meeting.bot_messages.last).to_contain_text("Skriv din e-postadress")
    meeting.input.fill(FOUNDER)
    meeting.input.press("Enter")
    expect(meeting.visitor_messages.last).to_have_text(f"Du: {FOUNDER}")
    expect(meeting.bot_messages.filter(has_text="på väg")).to_have_count(1)

    [mail] = mails_to(smtp, FOUNDER)
    message = mail.message
    assert message["To"] == FOUNDER
    body = message.get_body(("plain",)).get_content()
    # What it is and where it came from.
    assert "sammanfattning" in (message["Subject"] + body).lower()
    assert "ASF-hjälpen" in body or "rådgivning" in body.lower()
    attachments = [part for part in message.iter_attachments()]
    assert [part.get_content_type() for part in attachments] == ["application/pdf"]
    assert_summary_text(pdf_text(attachments[0].get_content()), ALL_MET)
    time.sleep(2)  # a second copy would have arrived by now
    assert len([m for m in smtp.received if FOUNDER in m.rcpt_tos]) == 1
    assert rows_holding(app_database(stack), FOUNDER), "the consented address is not kept"

    # The summary open in its tab, as an adviser would leave it.
    with meeting.page.context.expect_page() as opened:
        meeting.page.get_by_role("button", name="Sammanfattning").click()
    summary = opened.value
    summary.wait_for_url("**/radgivning/sammanfattning")
    expect(summary.locator("body")).to_contain_text(ALL_MET)
    meeting.page.bring_to_front()

    # "Avsluta och rensa": asked first; Escape keeps everything.
    end = meeting.page.get_by_role("button", name="Avsluta och rensa")
    end.click()
    dialog = meeting.page.get_by_role("dialog", name="Avsluta och rensa?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Avbryt")).to_be_focused()
    meeting.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(end).to_be_focused()
    assert meeting.session() == session

    end.click()
    dialog.get_by_role("button", name="Ja, avsluta och rensa").click()
    expect(meeting.visitor_messages).to_have_count(0)
    expect(meeting.bot_messages.last).to_contain_text("Hej! Jag är ASF-hjälpen")
    assert meeting.bot_messages.count() >= 2, "the bot's confirmation is not shown"
    assert meeting.session() != session
    meeting.expect_panel({name: "Inte besvarad" for name in ORDER})
    expect(meeting.page.locator("#verdict")).to_be_hidden()
    assert meeting.storage() == {"local": [], "session": []}
    # The summary's tab is closed too: the next founder does not find it.
    deadline = time.monotonic() + 10
    while not summary.is_closed() and time.monotonic() < deadline:
        meeting.page.wait_for_timeout(100)  # lets Playwright hear of the close
    assert summary.is_closed()
    meeting.screenshot("4-after-the-meeting")

    # The server keeps nothing of the conversation but the anonymous checklist row.
    deadline = time.monotonic() + 10
    while tracker_events(stack, session) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert tracker_events(stack, session) == 0
    rows = app_database(stack)
    assert rows_holding(rows, ref, session, FOUNDER) == []
    assert len(rows["checklist_results"]) == checklists_before
    # The next founder's first message is kept again.
    meeting.input.fill("Vad är ett ASF?")
    meeting.input.press("Enter")
    expect(meeting.bot_messages.last).to_contain_text("driver näringsverksamhet")
    assert "asf-chat:session" in meeting.storage()["local"]


# ---- the widget's erase and save, on any page ----


@pytest.fixture
def tab(browser, stack) -> Iterator[Visit]:
    result = visit(browser, stack, accept_downloads=True)
    yield result
    assert result.errors == []
    result.page.context.close()


def test_radera_konversationen_in_the_widget_erases_it_after_a_confirmation(tab, stack):
    tab.open_with_keyboard()
    tab.ask("Vad är ett ASF?")
    expect(tab.bot_messages.last).to_contain_text("driver näringsverksamhet")
    session = tab.page.evaluate("window.asfChat.session()")
    assert tracker_events(stack, session) > 0

    erase = tab.page.get_by_role("button", name="Radera konversationen")
    erase.focus()
    tab.page.keyboard.press("Enter")
    dialog = tab.page.get_by_role("dialog", name="Radera konversationen?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Det går inte att ångra.")
    expect(dialog.get_by_role("button", name="Avbryt")).to_be_focused()
    tab.page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Ja, radera")).to_be_focused()
    tab.page.keyboard.press("Enter")

    expect(tab.visitor_messages).to_have_count(0)
    expect(tab.bot_messages.last).to_contain_text("Hej! Jag är ASF-hjälpen")
    expect(tab.panel).to_be_visible()
    expect(tab.input).to_be_focused()
    assert tab.page.evaluate("window.asfChat.session()") != session
    keys = tab.page.evaluate("Object.keys(localStorage).concat(Object.keys(sessionStorage))")
    assert keys == []
    deadline = time.monotonic() + 10
    while tracker_events(stack, session) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert tracker_events(stack, session) == 0
    tab.page.reload()
    expect(tab.panel).to_be_hidden()  # nothing kept, not even that it was open
    tab.screenshot("counselling-5-widget-erased")


def test_spara_konversationen_downloads_what_the_widget_shows_as_text(tab, tmp_path):
    tab.open_with_keyboard()
    tab.ask("Vad är ett ASF?")
    expect(tab.bot_messages.last).to_contain_text("driver näringsverksamhet")
    tab.bot_messages.last.get_by_role("button", name="Villkor för ASF").click()
    expect(tab.bot_messages.last).to_contain_text("De skapar delaktighet")

    save = tab.page.get_by_role("button", name="Spara konversationen")
    save.focus()
    with tab.page.expect_download() as info:
        tab.page.keyboard.press("Enter")
    today = date.today()
    assert info.value.suggested_filename == f"asf-hjalpen-konversation-{today.isoformat()}.txt"
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    text = path.read_bytes().decode("utf-8")  # strictly UTF-8

    lines = text.splitlines()
    assert lines[0] == "ASF-hjälpen – konversation"
    assert lines[1].startswith(f"Sparad {today.day} ") and str(today.year) in lines[1]
    said = [line for line in lines if line.startswith(("ASF-hjälpen: ", "Du: "))]
    assert said[0].startswith("ASF-hjälpen: Hej! Jag är ASF-hjälpen")
    assert said[1] == "Du: Vad är ett ASF?"
    assert said[2].startswith("ASF-hjälpen: ") and "driver näringsverksamhet" in text
    assert said[3] == "Du: Villkor för ASF"
    assert "De skapar delaktighet" in said[4] or "De skapar delaktighet" in text
    shown = tab.page.locator(".asf-chat__msg").all_inner_texts()
    assert len(said) == len(shown)
    expect(tab.page.locator(".asf-chat [aria-live='polite']")).to_contain_text(
        "Konversationen är sparad som en textfil."
    )


# ---- accessibility ----


def axe(page: Page) -> list[dict]:
    """Serious and critical WCAG 2.x A/AA violations axe-core finds on the page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
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


def horizontal_overflow(page: Page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize(
    ("name", "viewport"),
    [
        ("laptop", {"width": 1280, "height": 900}),
        ("projector-1280x720", {"width": 1280, "height": 720}),
        ("tablet-768px", {"width": 768, "height": 1024}),
        # 200 % zoom of a 1280 x 720 projector: half as many CSS pixels each way.
        ("zoom-200", {"width": 640, "height": 360}),
    ],
)
def test_the_view_fits_with_no_horizontal_scrolling_and_no_serious_axe_violations(
    browser, stack, name, viewport
):
    # axe-core is injected as a script: allowed past the page's CSP in this test only.
    meeting = meeting_at(browser, stack, viewport=viewport, bypass_csp=True)
    try:
        meeting.criteria.get_by_role("button", name="Starta checklistan").click()
        meeting.expect_question(1)
        meeting.choose("Ja")
        meeting.expect_question(2)
        meeting.expect_panel({"business": "Svar: Ja"})
        assert horizontal_overflow(meeting.page) == 0
        controls = [
            meeting.input,
            meeting.page.get_by_role("button", name="Skicka", exact=True),
            meeting.page.get_by_role("button", name="Radera konversationen"),
            meeting.criterion("business").get_by_role("button"),
            meeting.criterion("public_services"),
            meeting.page.get_by_role("button", name="Sammanfattning"),
            meeting.page.get_by_role("button", name="Avsluta och rensa"),
        ]
        for control in controls:
            control.scroll_into_view_if_needed()
            expect(control).to_be_in_viewport()
            box = control.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], control
        meeting.screenshot(f"6-{name}")
        assert axe(meeting.page) == []
        meeting.page.get_by_role("button", name="Avsluta och rensa").click()
        expect(meeting.page.get_by_role("dialog", name="Avsluta och rensa?")).to_be_visible()
        assert axe(meeting.page) == []
    finally:
        meeting.page.context.close()


def test_the_summary_page_has_no_serious_axe_violations(browser, stack):
    meeting = meeting_at(browser, stack, bypass_csp=True)
    try:
        meeting.criteria.get_by_role("button", name="Starta checklistan").click()
        meeting.answer_all(["Ja", "Nej", "Vet inte", "Ja", "Ja", "Ja"])
        with meeting.page.context.expect_page() as opened:
            meeting.page.get_by_role("button", name="Sammanfattning").click()
        opened.value.wait_for_url("**/radgivning/sammanfattning")
        assert axe(opened.value) == []
    finally:
        meeting.page.context.close()


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                name: (el.getAttribute('aria-label') || (el.labels && el.labels.length
                       ? el.labels[0].textContent : el.innerText) || '').trim(),
                tag: el.tagName.toLowerCase(),
                visible: el.matches(':focus-visible') && style.outlineStyle !== 'none'
                         && parseFloat(style.outlineWidth) >= 2,
            };
        }"""
    )


def test_a_keyboard_alone_reaches_everything_in_order_with_a_visible_focus(meeting):
    reached = []
    for _ in range(60):
        meeting.page.keyboard.press("Tab")
        now = focused(meeting.page)
        if now["tag"] in ("button", "input", "a"):
            assert now["visible"], f"no visible focus on {now}"
        reached.append(now["name"].split("\n")[0])
        if now["name"] == "Avsluta och rensa":
            break
    else:
        pytest.fail(f"'Avsluta och rensa' cannot be reached with Tab: {reached}")
    expected = [
        "Till innehållet",
        "Ny konversation",
        "Spara konversationen",
        "Radera konversationen",
        "Skriv din fråga",
        "Skicka",
        "Starta checklistan",
        "Sammanfattning",
        "Ladda ner PDF",
        "Skicka till mig",
        "Avsluta och rensa",
    ]
    positions = []
    for name in expected:
        at = [i for i, seen in enumerate(reached) if seen.startswith(name)]
        assert at, f"{name!r} is not reached with Tab: {reached}"
        positions.append(at[0] if name != "Skicka till mig" else at[-1])
    assert positions == sorted(positions), reached

    # The checklist by keyboard alone: Enter to start, answers typed, Space to change.
    meeting.criteria.get_by_role("button", name="Starta checklistan").focus()
    meeting.page.keyboard.press("Enter")
    meeting.expect_question(1)
    expect(meeting.input).to_be_focused()
    meeting.page.keyboard.type("ja")
    meeting.page.keyboard.press("Enter")
    meeting.expect_question(2)
    meeting.expect_panel({"business": "Svar: Ja"})
    # From the input, Tab goes on to the panel's criteria.
    for _ in range(10):
        meeting.page.keyboard.press("Tab")
        if meeting.page.evaluate("document.activeElement.closest('.criterion') !== null"):
            break
    else:
        pytest.fail("the criteria cannot be reached with Tab from the chat")
    meeting.page.keyboard.press("Space")
    expect(meeting.visitor_messages.last).to_have_text(f"Du: Ändra svaret: {LABELS['business']}")
    meeting.expect_question(1)
