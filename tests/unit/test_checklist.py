"""The checklist's rules, over every combination of answers."""

from itertools import product

import pytest

from bot.domain.checklist import (
    CRITERIA,
    Answer,
    IncompleteChecklist,
    Outcome,
    Verdict,
    evaluate,
    parse_answers,
)

EVERY_COMBINATION = [dict(zip(CRITERIA, combo, strict=True)) for combo in product(Answer, repeat=6)]


def expected_verdict(answers: dict[str, Answer]) -> Verdict:
    if Answer.NO in answers.values():
        return Verdict.SOME_NOT_MET
    if Answer.UNKNOWN in answers.values():
        return Verdict.SOME_UNCLEAR
    return Verdict.ALL_MET


def test_there_are_six_criteria_and_729_combinations():
    assert len(CRITERIA) == 6
    assert len(EVERY_COMBINATION) == 3**6


@pytest.mark.parametrize("answers", EVERY_COMBINATION)
def test_every_combination_gets_each_criterion_and_the_right_verdict(answers):
    result = evaluate(answers)
    expected_outcome = {Answer.YES: Outcome.MET, Answer.NO: Outcome.NOT_MET}
    assert result.outcomes == tuple(
        (c, expected_outcome.get(answers[c], Outcome.UNCLEAR)) for c in CRITERIA
    )
    assert result.verdict is expected_verdict(answers)
    assert [c for c, _ in result.needing_attention()] == [
        c for c in CRITERIA if answers[c] is not Answer.YES
    ]


def test_only_all_yes_means_every_condition_is_met():
    verdicts = [evaluate(answers).verdict for answers in EVERY_COMBINATION]
    assert verdicts.count(Verdict.ALL_MET) == 1


def test_a_checklist_with_a_missing_answer_cannot_be_evaluated():
    answers = {c: Answer.YES for c in CRITERIA[:-1]}
    with pytest.raises(IncompleteChecklist, match="public_services"):
        evaluate(answers)


def test_slot_values_other_than_the_three_answers_are_ignored():
    values = {"business": "ja", "purpose": "kanske", "participation": None, "reinvestment": "nej"}
    assert parse_answers(values) == {"business": Answer.YES, "reinvestment": Answer.NO}
