"""The content files in English and lättläst: complete, faithful, easy to read, and read
by the same loader with a variant argument that never falls back to Swedish unasked."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.domain.checklist import CRITERIA
from bot.domain.variants import Variant, lix, missing_facts
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import (
    ContentError,
    ContentRepository,
    content_text_sets,
    parse_calls,
    parse_checklist,
    parse_privacy,
)

CONTENT = PROJECT_ROOT / "content"
SETS = content_text_sets()
TRANSLATED = (Variant.EN, Variant.LATTLAST)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# The widget shows a lättläst line of at most about this many characters.
LINE_LENGTH = 55


def ids(text_set) -> str:
    return f"{text_set.source}:{text_set.key}"


def test_every_content_file_with_visitor_texts_is_in_the_sets():
    sources = {t.source for t in SETS}
    assert sources == {
        f"content/{name}"
        for name in (
            "calls.yml",
            "checklist.yml",
            "privacy.yml",
            "escalation.yml",
            "counselling.yml",
        )
    }
    keys = {(t.source, t.key) for t in SETS}
    for criterion in CRITERIA:
        for section in ("questions", "explanations", "labels", "practice", "button_titles"):
            assert ("content/checklist.yml", f"{section}.{criterion}") in keys
    for key in ("statement", "consent_question", "ask_address", "problems.comma", "stored_item"):
        assert ("content/privacy.yml", key) in keys
    for key in ("rephrase", "topics.contact", "offers.person", "ask_question", "sent"):
        assert ("content/escalation.yml", key) in keys
    for key in ("title", "legal_forms.1", "mail.intro"):
        assert ("content/counselling.yml", key) in keys
    assert ("content/calls.yml", "closed.0.text") in keys
    # Values that are not text stay out: the version and the main topics.
    assert ("content/privacy.yml", "version") not in keys
    assert not any(t.key.startswith("main_topics") for t in SETS)


@pytest.mark.parametrize("text_set", SETS, ids=ids)
def test_every_text_has_an_english_and_a_lattlast_version(text_set):
    assert text_set.en, f"{ids(text_set)} has no en text"
    assert text_set.lattlast, f"{ids(text_set)} has no lattlast text"


@pytest.mark.parametrize("text_set", SETS, ids=ids)
def test_every_fact_of_the_swedish_text_is_in_both_translations(text_set):
    for variant in TRANSLATED:
        translation = text_set.text(variant) or ""
        assert missing_facts(text_set.sv, translation) == set(), f"{variant.value}: {translation}"


@pytest.mark.parametrize("text_set", SETS, ids=ids)
def test_the_translations_use_exactly_the_swedish_placeholders(text_set):
    for variant in TRANSLATED:
        translation = text_set.text(variant) or ""
        assert set(PLACEHOLDER.findall(translation)) == set(PLACEHOLDER.findall(text_set.sv))


@pytest.mark.parametrize("text_set", SETS, ids=ids)
def test_every_lattlast_text_scores_at_most_30_and_breaks_into_short_lines(text_set):
    text = text_set.lattlast or ""
    assert lix(text) <= 30, f"LIX {lix(text):.1f}: {text}"
    for line in text.split("\n"):
        assert len(PLACEHOLDER.sub("xxxxxxxx", line)) <= LINE_LENGTH, line


def test_the_lattlast_texts_score_on_average_at_least_15_below_the_swedish_ones():
    differences = [lix(t.sv) - lix(t.lattlast or "") for t in SETS]
    assert sum(differences) / len(differences) >= 15


def test_the_english_privacy_statement_is_followed_by_the_binding_swedish_one():
    content = ContentRepository(CONTENT)
    swedish = content.privacy().statement
    english = content.privacy(Variant.EN).statement
    assert english.startswith("If you fill in your e-mail address")
    assert english.endswith(f"\nThe Swedish text applies:\n{swedish}")
    [text_set] = [t for t in SETS if t.key == "statement" and t.source == "content/privacy.yml"]
    assert text_set.en == english


def test_an_english_statement_without_the_swedish_one_is_rejected():
    data = yaml.safe_load((CONTENT / "privacy.yml").read_text(encoding="utf-8"))
    data["en"]["statement"] = "If you fill in your e-mail address, it is stored."
    with pytest.raises(ContentError, match=r"\[en\]: 'statement' must end with \{swedish\}"):
        parse_privacy(data, "privacy.yml", Variant.EN)


def test_the_loader_returns_the_variant_asked_for_and_swedish_by_default():
    content = ContentRepository(CONTENT)
    assert content.checklist().questions["business"].startswith("Fråga 1 av 6: Producerar")
    assert content.checklist(Variant.SV).questions["business"].startswith("Fråga 1 av 6: Prod")
    assert content.checklist(Variant.EN).questions["business"] == (
        "Question 1 of 6: Do you produce and sell goods or services?"
    )
    assert (
        content.checklist(Variant.LATTLAST)
        .questions["business"]
        .startswith("Fråga 1 av 6:\nSäljer ni saker eller tjänster?")
    )
    assert content.checklist(Variant.EN).answers == {
        "ja": "Yes",
        "nej": "No",
        "vet_inte": "Don't know",
    }
    assert content.escalation(Variant.EN).main_topics == content.escalation().main_topics
    assert content.privacy(Variant.LATTLAST).version == content.privacy().version
    assert content.counselling(Variant.EN).language == "en"
    assert content.counselling(Variant.LATTLAST).language == "sv"
    assert content.calls(Variant.EN).summary() == (
        "The call ASF Affärsutvecklingscheck is closed because all funds have been awarded "
        "to various work integration social enterprises.\nMore information will come."
    )
    # The string values of the slots work too.
    assert content.calls("lattlast").note == "Vi berättar mer senare."  # type: ignore[arg-type]


def test_the_purpose_of_a_kept_address_is_told_in_the_variant():
    content = ContentRepository(CONTENT)
    assert content.privacy().purposes["summary"] == "sammanfattning från rådgivning"
    assert content.privacy(Variant.EN).purposes["escalation"] == "an answer from a case officer"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    return folder


def _edit(folder: Path, name: str, change) -> None:
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_missing_translation_is_an_error_naming_it_never_the_swedish_text(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "checklist.yml", lambda data: data["en"]["questions"].pop("purpose"))
    content = ContentRepository(folder)
    with pytest.raises(ContentError, match=r"checklist\.yml \[en\]: 'questions' lacks purpose"):
        content.checklist(Variant.EN)
    with pytest.raises(ContentError, match="lacks purpose"):
        content.check()
    # The other variants are still read.
    assert content.checklist().questions["purpose"].startswith("Fråga 2 av 6")
    assert content.checklist(Variant.LATTLAST).questions["purpose"].startswith("Fråga 2 av 6")
    # And the sets show the gap, so the completeness test above fails.
    [gap] = [t for t in content_text_sets(folder) if t.key == "questions.purpose"]
    assert gap.en is None and gap.lattlast


def test_a_file_without_a_variant_section_is_an_error(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "escalation.yml", lambda data: data.pop("lattlast"))
    content = ContentRepository(folder)
    with pytest.raises(ContentError, match=r"escalation\.yml: 'lattlast' is missing"):
        content.escalation(Variant.LATTLAST)
    assert content.escalation(Variant.EN).rephrase.startswith("I did not quite understand")


def test_a_call_without_its_translation_is_an_error():
    data = {"open": [{"name": "Check", "text": "Öppen.", "en": "Open."}], "closed": []}
    assert parse_calls(data, "calls.yml", Variant.EN).summary() == "Open."
    with pytest.raises(ContentError, match=r"'lattlast' is missing \(the call Check\)"):
        parse_calls(data, "calls.yml", Variant.LATTLAST)


def test_a_translated_text_with_an_unknown_placeholder_is_rejected(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "escalation.yml", lambda data: data["en"].update(cancelled="Call {telefon}."))
    with pytest.raises(ContentError, match=r"\[en\]: 'cancelled'"):
        ContentRepository(folder).escalation(Variant.EN)


def test_an_answering_time_written_in_swedish_must_be_written_in_every_variant():
    from bot.services.content import parse_escalation

    data = yaml.safe_load((CONTENT / "escalation.yml").read_text(encoding="utf-8"))
    data["answer_time"] = "Handläggaren svarar dig via e-post inom fem arbetsdagar."
    with pytest.raises(ContentError, match=r"\[en\]: 'answer_time' is missing"):
        parse_escalation(data, "escalation.yml", Variant.EN)


def test_the_swedish_texts_ignore_the_variant_sections():
    data = yaml.safe_load((CONTENT / "checklist.yml").read_text(encoding="utf-8"))
    swedish = parse_checklist(data)
    assert swedish == parse_checklist(
        {k: v for k, v in data.items() if k not in ("en", "lattlast")}
    )


def test_the_shipped_content_passes_its_own_check_in_every_variant():
    ContentRepository(CONTENT).check()


def test_the_summary_page_is_written_in_the_variant_with_lattlast_lines_kept():
    import datetime

    from bot.services.summary import build_summary, render_summary_html

    content = ContentRepository(CONTENT)
    slots = {f"checklist_{c}": "ja" for c in CRITERIA}
    day = datetime.date(2026, 12, 3)
    english = render_summary_html(build_summary(slots, content, day, Variant.EN))
    assert '<html lang="en">' in english
    assert "<h1>Summary of the counselling</h1>" in english
    assert content.checklist(Variant.EN).verdicts["alla_uppfyllda"] in english
    lattlast = render_summary_html(build_summary(slots, content, day, Variant.LATTLAST))
    assert '<html lang="sv">' in lattlast
    # A lättläst text's line breaks show as breaks, its words escaped as usual.
    assert "Dina svar stämmer med alla krav<br>\nför ett ASF." in lattlast
    swedish = render_summary_html(build_summary(slots, content, day))
    assert "<h1>Sammanfattning från rådgivning</h1>" in swedish


def _variant_of_condition(response: dict) -> Variant:
    slots = {c["name"]: c["value"] for c in response.get("condition") or ()}
    if slots.get("language") == "en":
        return Variant.EN
    if slots.get("reading_mode") == "lattlast":
        return Variant.LATTLAST
    return Variant.SV


def test_the_domain_says_the_statement_and_the_rephrase_as_the_content_files_do():
    """utter_privacy and utter_rephrase repeat content texts: in every variation the domain
    has, they are the content's text of that variant, with the same topic buttons."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    content = ContentRepository(CONTENT)
    for response in domain["responses"]["utter_privacy"]:
        variant_ = _variant_of_condition(response)
        assert response["text"] == content.privacy(variant_).statement, variant_
    for response in domain["responses"]["utter_rephrase"]:
        texts = content.escalation(_variant_of_condition(response))
        assert response["text"] == texts.rephrase
        assert [(b["title"], b["payload"]) for b in response["buttons"]] == [
            (texts.topics[t], f"/{t}") for t in texts.main_topics
        ]
