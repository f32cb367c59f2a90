"""The insight report of conversations driven through the whole running bot.

The bot runs as `make run` starts it (Rasa, actions, the mail worker and the local mail
sink); visitors ask facts, write what it cannot understand, ask for a person, hand a
question to staff, and complete or abandon the checklist. Four ask through the web app,
as the widget does, and vote on the answer through its /api/feedback. `asf-bot insight report`
then reads the SQLite tracker store and app database the bot wrote, and the report must
give exactly the figures of those conversations, hold nothing personal a visitor typed
and nothing below the small-count threshold, and pass axe-core in Chromium.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from bot.runtime.chat import send
from bot.runtime.cli import parser
from tests.conftest import running_bot
from tests.e2e.test_widget_in_browser import AXE, CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.model

REPHRASE = "Jag förstod inte riktigt."
# Everything personal the visitors type below.
PERSONAL = ["070-123 45 67", "0701234567", "19850709-1234", "anna.berg@exempel.se", "anna.berg"]
# Texts only one conversation wrote: never in the report.
SINGLE = ["blablabla", "affärsplanen", "kjhg kjhg"]


def row(label: str, *cells: str) -> str:
    """One table row of the report, as the template writes it."""
    tds = "".join(f'<td class="num">{cell}</td>' for cell in cells)
    return f'<tr><th scope="row">{label}</th>{tds}</tr>'


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    with running_bot(trained_model, var, "insight-token") as supervisor:
        yield supervisor.config


def web_post(bot, path: str, session: str, **fields: str) -> dict:
    """POST JSON to the running web app as the widget does; the JSON answer, if any."""
    request = urllib.request.Request(
        bot.web_url + path,
        data=json.dumps({"session": session, **fields}).encode("utf-8"),
        headers={"Content-Type": "application/json", "Origin": bot.web_url},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else {}


def say(bot, sender: str, message: str) -> str:
    return "\n".join(r.get("text", "") for r in send(bot.rasa_url, sender, message))


def checklist(bot, sender: str, answers: int) -> None:
    assert "Fråga 1 av 6" in say(bot, sender, "kan vi bli ett asf?")
    for _ in range(answers):
        say(bot, sender, "/affirm")


def wait_until_sent(app_db: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(app_db) as db:
            if db.execute("SELECT status FROM outbox").fetchall() == [("sent",)]:
                return
        time.sleep(0.2)
    raise AssertionError("the ticket's mail was not sent")


@pytest.fixture(scope="module")
def report(bot, tmp_path_factory) -> str:
    # Four visitors ask in the widget and vote on the answer: three 👍, one 👎.
    for n, vote in enumerate(("up", "up", "up", "down"), start=1):
        session = f"insight-fact-visitor-{n}"
        [answer] = [
            r
            for r in web_post(bot, "/api/chat", session, message="Vad är ett ASF?")["replies"]
            if r["answer"]
        ]
        assert "driver näringsverksamhet" in answer["text"]
        web_post(
            bot,
            "/api/feedback",
            session,
            answer_id=f"answer-{n}-of-the-test",
            response=answer["response"],
            vote=vote,
        )
    # Three visitors write much the same the bot does not understand; one adds a number.
    for sender, text in (
        ("unclear-1", "asdkjh qwerty"),
        ("unclear-2", "asdkjh qwerty"),
        ("unclear-3", "qwerty asdkjh, nr 0701234567"),
    ):
        assert say(bot, sender, text).startswith(REPHRASE)
    # Two misunderstandings in a row: the offer; no thanks.
    assert say(bot, "twice", "blablabla").startswith(REPHRASE)
    assert "Jag förstår tyvärr inte din fråga" in say(bot, "twice", "kjhg kjhg kjhg")
    assert "jag skickar ingen fråga" in say(bot, "twice", "/deny")
    # A person, asked for: the question goes to staff, with a personnummer in it.
    assert "Vill du det?" in say(bot, "person", "jag vill prata med en handläggare")
    assert "Skriv din fråga med egna ord" in say(bot, "person", "/affirm")
    question = "Hjälper ni med affärsplanen? Mitt personnummer är 19850709-1234."
    assert "Om du fyller i din e-postadress" in say(bot, "person", question)
    assert re.search(r"ASF-\d{4}-\d{6}", say(bot, "person", "/deny"))
    # An address typed before consent: the question comes first; the visitor stops.
    assert "Skriv din fråga" in say(bot, "email", "min e-post är anna.berg@exempel.se")
    say(bot, "email", "avbryt")
    for sender in ("done-1", "done-2", "done-3"):
        checklist(bot, sender, 6)
    for sender in ("stopped-1", "stopped-2", "stopped-3"):
        checklist(bot, sender, 2)
    checklist(bot, "stopped-at-once", 0)

    app_db = bot.var_dir / "app.db"
    wait_until_sent(app_db)

    out = tmp_path_factory.mktemp("report") / "report.html"
    args = parser().parse_args(["insight", "report", "--since", "1d", "--out", str(out)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKER_STORE_URL", f"sqlite:///{bot.var_dir / 'tracker.db'}")
        patch.setenv("DATABASE_URL", f"sqlite:///{app_db}")
        assert args.handler(args) == 0
    return out.read_text(encoding="utf-8")


def test_the_report_gives_exactly_the_figures_of_the_conversations(report):
    expected = [
        row("Samtal", "17"),
        row("Meddelanden från besökare", "47"),
        row("Meddelanden per samtal, medel", "2,8"),
        row("Samtal som klarades utan handläggare", "82\u00a0%"),
        row("Meddelanden som boten inte förstod", "5"),
        row("Andel meddelanden som boten inte förstod", "11\u00a0%"),
        # Topics: messages, conversations, votes, 👍, 👎 (one 👎: hidden).
        row("Kan vi bli ett ASF? (checklistan)", "7", "7", "0", "–", "–"),
        row("Vad är ett ASF?", "4", "4", "4", "75\u00a0%", "&lt; 3"),
        row("Bad att få prata med en person", "&lt; 3"),
        row("Boten förstod inte två gånger i rad", "&lt; 3"),
        row("Ville få svar via e-post", "&lt; 3"),
        row("Svaret hjälpte inte", "0"),
        # The checklist's funnel and where it stopped.
        row("Började", "7"),
        row("Fråga 2", "6"),
        row("Fråga 3", "6"),
        row("Fråga 4", "3"),
        row("Fick resultat", "3"),
        row("1. Säljer varor eller tjänster", "&lt; 3"),
        row("3. Delaktighet genom ägande, avtal eller liknande", "3"),
        row("Säljer varor eller tjänster", "3", "0", "0"),
        row("Alla villkor uppfyllda", "3"),
        # Tickets: one made, its mail sent.
        row("Skapade", "1"),
        row("Skickade", "1"),
        row("Gick inte att skicka", "0"),
    ]
    missing = [line for line in expected if line not in report]
    assert missing == []
    assert "Boten erbjöd att skicka frågan till en handläggare 3 gånger, i\n3 samtal" in report
    # The one group of three conversations, with its examples, redacted.
    group = row("1", "3", "3")[: -len("</tr>")]
    assert group in report
    assert "<li>asdkjh qwerty</li><li>qwerty asdkjh, nr [telefonnummer]</li>" in report


def test_the_report_holds_nothing_personal_and_no_text_of_one_or_two_visitors(report):
    assert [value for value in PERSONAL + SINGLE if value in report] == []
    # Every group but the one of three conversations shows no example.
    assert report.count("<li>") == 2
    assert report.count("Inga exempel visas.") >= 2


def test_the_report_has_no_serious_axe_violations_in_chromium(report, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    page_file = tmp_path / "report.html"
    page_file.write_text(report, encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa',
                 'wcag21a', 'wcag21aa', 'best-practice']}})"""
        )
        browser.close()
    violations = [
        (v["id"], [n["html"][:120] for n in v["nodes"]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert violations == []
    # The page itself and its data: images only; nothing from the network.
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
