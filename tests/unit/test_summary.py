"""The counselling summary: what it says, from which file, and its page and PDF."""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from bot.domain.checklist import CRITERIA, Answer, Outcome
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentError, ContentRepository, parse_counselling
from bot.services.summary import (
    build_summary,
    checklist_answers,
    local_today,
    render_summary_html,
    render_summary_pdf,
)

TODAY = datetime.date(2026, 12, 2)
ALL_YES = {f"checklist_{c}": "ja" for c in CRITERIA}
MIXED = ALL_YES | {"checklist_purpose": "nej", "checklist_independence": "vet_inte"}


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A copy of the shipped content that a test may edit."""
    path = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", path)
    return path


@pytest.fixture
def content(content_dir) -> ContentRepository:
    return ContentRepository(content_dir)


def _words(text: str) -> str:
    """`text` with every run of whitespace as one space (a PDF breaks lines anywhere)."""
    return " ".join(text.split())


def _pdf_text(pdf: bytes) -> str:
    return _words(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def test_the_answers_are_read_from_the_checklist_slots_and_anything_else_is_ignored():
    slots = {
        "checklist_business": "ja",
        "checklist_purpose": "kanske",
        "checklist_participation": None,
        "checklist_reinvestment": "vet_inte",
        "business": "nej",
        "email": "namn@exempel.se",
    }
    assert checklist_answers(slots) == {"business": Answer.YES, "reinvestment": Answer.UNKNOWN}


def test_each_criterion_shows_its_label_question_answer_outcome_and_practical_meaning(content):
    summary = build_summary(MIXED, content, TODAY)
    texts = content.checklist()
    assert [line.criterion for line in summary.criteria] == list(CRITERIA)
    for line in summary.criteria:
        assert line.label == texts.labels[line.criterion]
        assert line.question == texts.questions[line.criterion]
        assert line.practice == texts.practice[line.criterion]
    purpose = summary.criteria[CRITERIA.index("purpose")]
    assert (purpose.answer, purpose.answer_text) == (Answer.NO, "Nej")
    assert (purpose.outcome, purpose.outcome_text) == (Outcome.NOT_MET, "inte uppfyllt")
    independence = summary.criteria[CRITERIA.index("independence")]
    assert (independence.answer_text, independence.outcome_text) == ("Vet inte", "oklart")
    business = summary.criteria[0]
    assert (business.answer_text, business.outcome_text) == ("Ja", "uppfyllt")


def test_the_verdict_and_the_disclaimer_come_from_the_checklist_texts(content):
    texts = content.checklist()
    assert build_summary(ALL_YES, content, TODAY).verdict == texts.verdicts["alla_uppfyllda"]
    mixed = build_summary(MIXED, content, TODAY)
    assert mixed.verdict == texts.verdicts["nagot_inte_uppfyllt"]
    assert mixed.disclaimer == texts.disclaimer
    assert mixed.complete


def test_questions_not_answered_yet_say_so_and_there_is_no_verdict_until_all_are(content):
    summary = build_summary({"checklist_business": "ja"}, content, TODAY)
    assert summary.verdict is None
    assert not summary.complete
    unanswered = summary.criteria[1:]
    assert all(line.answer is None and line.outcome is None for line in unanswered)
    page = _words(render_summary_html(summary))
    texts = content.counselling()
    # Answer and outcome of each of the five unanswered questions.
    assert page.count(texts.not_answered) == 2 * len(unanswered)
    assert texts.verdict_pending in page
    assert not any(verdict in page for verdict in content.checklist().verdicts.values())


def test_the_calls_and_the_contact_are_read_from_the_content_files_when_it_is_made(
    content, content_dir
):
    before = build_summary(ALL_YES, content, TODAY)
    assert [call.name for call in before.calls] == ["ASF Affärsutvecklingscheck"]
    assert before.calls_note == "Mer information kommer."
    (content_dir / "calls.yml").write_text(
        yaml.safe_dump(
            {
                "open": [
                    {
                        "name": "Ny check",
                        "text": "Utlysningen Ny check är öppen.",
                        "url": "https://exempel.se/ny-check",
                    }
                ],
                "closed": [],
                "note": "Mer information kommer.",
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    contacts = yaml.safe_load((content_dir / "contacts.yml").read_text(encoding="utf-8"))
    contacts["asf"]["name"] = "Anna Andersson"
    (content_dir / "contacts.yml").write_text(
        yaml.safe_dump(contacts, allow_unicode=True), encoding="utf-8"
    )
    _touch_later(content_dir / "calls.yml", content_dir / "contacts.yml")

    after = build_summary(ALL_YES, content, TODAY)
    assert [call.text for call in after.calls] == ["Utlysningen Ny check är öppen."]
    assert after.calls_note == ""  # the note is for when no call is open
    assert after.contact.name == "Anna Andersson"
    page = render_summary_html(after)
    assert 'href="https://exempel.se/ny-check"' in page
    assert "Anna Andersson" in page
    assert "ASF Affärsutvecklingscheck" not in page


def _touch_later(*paths: Path) -> None:
    # Same second on a coarse clock: move the time on so the change is seen.
    for path in paths:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_the_legal_forms_are_quoted_word_for_word_from_the_agency_page(content, source_page):
    texts = content.counselling()
    page = _words(source_page)
    assert texts.legal_forms_heading in source_page.splitlines()
    for paragraph in texts.legal_forms:
        assert _words(paragraph) in page


def test_the_legal_forms_agree_with_what_the_bot_answers_about_them(content):
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    answer = domain["responses"]["utter_legal_form"][0]["text"]
    quoted = " ".join(content.counselling().legal_forms)
    assert answer.startswith(content.counselling().legal_forms[0])
    for form in ("kooperativ", "ekonomiska föreningar", "ideell förening"):
        assert form in answer and form in quoted
    assert "aktiebolag med begränsad vinstutdelning" in answer
    assert "aktiebolag med begränsad vinstutdelning" in quoted


def test_the_source_is_the_agency_page_by_its_title(content, source_page):
    texts = content.counselling()
    assert (texts.source_title, texts.source_publisher) == (
        "Stöd till Arbetsintegrerande sociala företag",
        "Tillväxtverket",
    )
    assert texts.source_title in source_page.splitlines()
    assert source_page.startswith(texts.source_publisher)


def test_a_counselling_file_without_the_legal_forms_is_rejected():
    data = yaml.safe_load((PROJECT_ROOT / "content" / "counselling.yml").read_text("utf-8"))
    with pytest.raises(ContentError, match="legal_forms"):
        parse_counselling({**data, "legal_forms": []})
    with pytest.raises(ContentError, match="'title' is missing"):
        parse_counselling({**data, "title": ""})


def test_the_page_links_its_stylesheet_and_has_no_script_no_inline_style_and_no_widget(
    content,
):
    page = render_summary_html(build_summary(MIXED, content, TODAY))
    assert '<link rel="stylesheet" href="/static/summary.css">' in page
    assert "<script" not in page
    assert "widget" not in page
    assert "<style" not in page and " style=" not in page
    assert '<html lang="sv">' in page
    assert "<title>Sammanfattning från rådgivning 2026-12-02</title>" in page
    assert '<time datetime="2026-12-02">2026-12-02</time>' in page


def test_every_text_of_the_page_is_escaped(content, content_dir):
    counselling = yaml.safe_load((content_dir / "counselling.yml").read_text("utf-8"))
    counselling["title"] = "<script>alert(1)</script> & <b>fet</b>"
    (content_dir / "counselling.yml").write_text(
        yaml.safe_dump(counselling, allow_unicode=True), encoding="utf-8"
    )
    _touch_later(content_dir / "counselling.yml")
    page = render_summary_html(build_summary(MIXED, content, TODAY))
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;" in page


def test_the_pdf_holds_every_criterion_the_verdict_and_the_swedish_letters(content):
    summary = build_summary(MIXED, content, TODAY)
    text = _pdf_text(render_summary_pdf(summary))
    for line in summary.criteria:
        assert _words(line.label) in text
        assert _words(line.practice) in text
    assert _words(summary.verdict) in text
    assert _words(summary.disclaimer) in text
    assert _words(content.counselling().legal_forms[1]) in text
    assert "Eva Carlsson" in text and "08-681 9223" in text
    assert "Stöd till Arbetsintegrerande sociala företag, Tillväxtverket" in text
    # Every Swedish letter the texts use (no text starts with Ö).
    for letter in "åäöÅÄ":
        assert letter in text, letter
    assert "Vinsterna återinvesteras" in text
    assert "Organisatoriskt fristående" in text


def test_the_pdf_is_tagged_in_swedish_with_a_title_and_embeds_its_fonts(content):
    reader = PdfReader(io.BytesIO(render_summary_pdf(build_summary(MIXED, content, TODAY))))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "sv"
    assert reader.metadata.title == "Sammanfattning från rådgivning 2026-12-02"
    assert "pdfuaid:part" in root["/Metadata"].get_object().get_data().decode("utf-8")
    fonts = [
        font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()
    ]
    assert fonts
    for font in fonts:
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert any(key.startswith("/FontFile") for key in descriptor), font["/BaseFont"]
        # A subset: the name carries the six-letter tag WeasyPrint gives a subset.
        assert re.fullmatch(r"/[A-Z]{6}\+.+", font["/BaseFont"]), font["/BaseFont"]


def test_an_unanswered_checklist_still_makes_a_pdf_that_says_so(content):
    text = _pdf_text(render_summary_pdf(build_summary({}, content, TODAY)))
    texts = content.counselling()
    assert text.count(texts.not_answered) == 2 * len(CRITERIA)
    assert texts.verdict_pending in text


def test_the_summary_is_dated_by_the_swedish_calendar():
    late_evening = datetime.datetime(2026, 12, 2, 23, 30, tzinfo=datetime.timezone.utc)
    assert local_today(late_evening) == datetime.date(2026, 12, 3)
    midsummer_night = datetime.datetime(2026, 6, 19, 22, 30, tzinfo=datetime.timezone.utc)
    assert local_today(midsummer_night) == datetime.date(2026, 6, 20)
