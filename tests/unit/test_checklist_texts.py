"""What the checklist says, from content/checklist.yml."""

import pytest

from bot.domain.checklist import CRITERIA, Answer, evaluate
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentError, ContentRepository, parse_checklist


@pytest.fixture(scope="module")
def texts():
    return ContentRepository(PROJECT_ROOT / "content").checklist()


def test_every_criterion_has_a_question_an_explanation_and_a_practical_meaning(texts):
    for c in CRITERIA:
        assert texts.questions[c].startswith(f"Fråga {CRITERIA.index(c) + 1} av 6:")
        assert texts.explanations[c] and texts.practice[c] and texts.labels[c]
    assert texts.answers == {"ja": "Ja", "nej": "Nej", "vet_inte": "Vet inte"}


def test_all_yes_lists_every_criterion_as_met_and_claims_no_legal_certainty(texts):
    result = texts.result(evaluate({c: Answer.YES for c in CRITERIA}))
    for c in CRITERIA:
        assert f"• {texts.labels[c]}: uppfyllt" in result
    assert texts.attention_heading not in result
    assert "stämmer verksamheten med alla villkoren" in result
    assert "Det här är ingen formell bedömning." in result


def test_each_unmet_or_unclear_criterion_says_what_it_means_in_practice(texts):
    answers = {c: Answer.YES for c in CRITERIA} | {
        "reinvestment": Answer.NO,
        "participation": Answer.UNKNOWN,
    }
    result = texts.result(evaluate(answers))
    assert f"• {texts.labels['reinvestment']}: inte uppfyllt" in result
    assert f"• {texts.labels['participation']}: oklart" in result
    assert "i huvudsak återinvesteras i den egna eller liknande verksamhet" in result
    assert "ekonomisk förening" in result and "aktiebolag med begränsad vinstutdelning" in result
    assert "genom ägande, avtal eller liknande" in result
    assert texts.practice["business"] not in result
    assert "stämmer verksamheten inte med alla villkoren" in result


def test_the_practical_meanings_use_the_agency_pages_own_terms(texts, source_page):
    page = " ".join(source_page.split())
    for phrase in (
        "återinvesterar i huvudsak sina vinster i den egna eller liknade verksamhet",
        "delaktighet för medarbetarna genom ägande, avtal eller liknande",
        "aktiebolag med begränsad vinstutdelning",
        "ägs aldrig av exempelvis en kommun",
    ):
        assert phrase in page
    assert "liknande verksamhet" in texts.practice["reinvestment"]
    assert "ägande, avtal eller liknande" in texts.practice["participation"]


def test_a_checklist_file_missing_a_question_is_rejected():
    with pytest.raises(ContentError, match="'questions' lacks purpose"):
        parse_checklist({"heading": "x", "questions": {"business": "Fråga 1"}})
