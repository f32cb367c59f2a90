"""The eligibility checklist: six criteria from the agency page, evaluated.

Pure rules: no Rasa, no database. The questions and every text shown to the visitor
live in domain.yml and content/checklist.yml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

# The six conditions of the agency page, in the order the form asks them.
CRITERIA: tuple[str, ...] = (
    "business",  # produces and sells goods or services (näringsverksamhet)
    "purpose",  # overarching purpose: integrate people through work and participation
    "participation",  # participation through ownership, agreements or similar
    "reinvestment",  # profits mainly reinvested in the own or similar business
    "independence",  # organisationally independent, never owned by e.g. a municipality
    "public_services",  # work training etc. for public actors, and paid for it
)


def change_payload(criterion: str) -> str:
    """The message that asks the bot to change one criterion's answer (intent change_answer):
    what the bot's "which answer?" buttons and the counselling panel send alike."""
    return f'/change_answer{{"criterion":"{criterion}"}}'


class Answer(str, Enum):
    """What the visitor answered to one criterion."""

    YES = "ja"
    NO = "nej"
    UNKNOWN = "vet_inte"


class Outcome(str, Enum):
    """Whether one criterion is met."""

    MET = "uppfyllt"
    NOT_MET = "inte_uppfyllt"
    UNCLEAR = "oklart"


class Verdict(str, Enum):
    """The overall picture; never a legal decision, since there is no formal ASF status."""

    ALL_MET = "alla_uppfyllda"
    SOME_NOT_MET = "nagot_inte_uppfyllt"
    SOME_UNCLEAR = "nagot_oklart"


class IncompleteChecklist(ValueError):
    """Not every criterion has an answer yet."""


OUTCOME_OF_ANSWER: Mapping[Answer, Outcome] = {
    Answer.YES: Outcome.MET,
    Answer.NO: Outcome.NOT_MET,
    Answer.UNKNOWN: Outcome.UNCLEAR,
}


@dataclass(frozen=True)
class ChecklistResult:
    """Each criterion's outcome, in the order of CRITERIA, and the verdict."""

    outcomes: tuple[tuple[str, Outcome], ...]
    verdict: Verdict

    def needing_attention(self) -> tuple[tuple[str, Outcome], ...]:
        """Return the criteria that are not met or unclear."""
        return tuple((c, o) for c, o in self.outcomes if o is not Outcome.MET)


def evaluate(answers: Mapping[str, Answer]) -> ChecklistResult:
    """Return the outcome of every criterion and the overall verdict."""
    missing = [criterion for criterion in CRITERIA if criterion not in answers]
    if missing:
        raise IncompleteChecklist(f"no answer for: {', '.join(missing)}")
    outcomes = tuple((c, OUTCOME_OF_ANSWER[answers[c]]) for c in CRITERIA)
    found = {outcome for _, outcome in outcomes}
    if Outcome.NOT_MET in found:
        verdict = Verdict.SOME_NOT_MET
    elif Outcome.UNCLEAR in found:
        verdict = Verdict.SOME_UNCLEAR
    else:
        verdict = Verdict.ALL_MET
    return ChecklistResult(outcomes=outcomes, verdict=verdict)


def parse_answers(values: Mapping[str, object]) -> dict[str, Answer]:
    """Return the valid answers among raw slot values, keyed by criterion."""
    valid = {answer.value: answer for answer in Answer}
    return {c: valid[v] for c in CRITERIA if isinstance(v := values.get(c), str) and v in valid}
