"""Visitors' votes on the bot's answers: which replies ask for one, and what a vote is.

Under a reply that answers a question the widget asks "Fick du svar på din fråga?" with
👍 / 👎. Which replies those are is decided here, from the name of the response in
domain.yml that the reply came from: prompts, the bot's own questions, confirmations and
topic menus ask for no vote. A vote stores no text: the response's name, up or down, and
when (bot.storage.feedback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

# Responses that answer a visitor's question with facts from the agency page.
ANSWER_RESPONSES = frozenset(
    {
        "utter_what_is_asf",
        "utter_business_examples",
        "utter_target_group",
        "utter_conditions",
        "utter_legal_form",
        "utter_current_calls",
        "utter_contact",
        "utter_asf_count",
        "utter_employees",
        "utter_regions",
        "utter_agency_effort",
        "utter_films",
        "utter_arbetsformedlingen",
        "utter_privacy",
    }
)
# Every other response in domain.yml: greetings, menus, prompts, the bot's questions,
# confirmations, and what it says when it cannot answer (those lead to a person instead).
# A test checks that each response of domain.yml is in exactly one of the two sets, so
# a new response is a decision, not an accident.
OTHER_RESPONSES = frozenset(
    {
        "utter_greet",
        "utter_goodbye",
        "utter_thank",
        "utter_bot_challenge",
        "utter_help",
        "utter_out_of_scope",
        "utter_rephrase",
        "utter_checklist_intro",
        "utter_checklist_paused",
        "utter_checklist_contact",
        "utter_nothing_asked",
        "utter_nothing_deleted",
        "utter_email_not_kept",
        "utter_email_consent_reminder",
        "utter_default",
        "utter_languages",
        "utter_language_chosen",
    }
)

# The widget names each shown answer with 12 random bytes, base64url: 16 characters.
ANSWER_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class Vote(Enum):
    """A visitor's vote on one answer."""

    UP = "up"  # 👍 the answer answered the question
    DOWN = "down"  # 👎 it did not


class InvalidVote(ValueError):
    """A vote that is not for an answer the bot gives, or not up or down."""


@dataclass(frozen=True)
class Ballot:
    """One checked vote: which shown answer, which response it was, up or down."""

    answer_id: str
    response: str
    vote: Vote


def parse_ballot(answer_id: Any, response: Any, vote: Any) -> Ballot:
    """Check a vote as the widget sends it; InvalidVote says which part is wrong."""
    if not isinstance(answer_id, str) or ANSWER_ID.fullmatch(answer_id) is None:
        raise InvalidVote("the answer id is not a short printable string")
    if not isinstance(response, str) or response not in ANSWER_RESPONSES:
        raise InvalidVote("the response is not an answer the bot gives")
    if vote not in {v.value for v in Vote}:
        raise InvalidVote("the vote is neither up nor down")
    return Ballot(answer_id=answer_id, response=response, vote=Vote(vote))


def _content_missing(condition: Any) -> bool:
    """True for a variation shown when its content could not be loaded.

    In domain.yml such a variation is the one conditioned on a slot being empty (null):
    "Jag kan inte hämta de uppgifterna just nu", which answers nothing.
    """
    if not isinstance(condition, list):
        return False
    return any(isinstance(c, Mapping) and c.get("value") is None for c in condition)


def answers_question(response: str | None, condition: Any = None) -> bool:
    """True if a reply made from `response` (with its variation's `condition`, as Rasa
    gives it) answers a question, and so asks for a vote."""
    return response in ANSWER_RESPONSES and not _content_missing(condition)


def answer_flags(replies: Sequence[tuple[str | None, Any]]) -> list[bool]:
    """For each reply (its response name and variation condition, in order), whether the
    vote goes under it.

    Rasa's REST channel cuts a text at blank lines into several replies of the same
    response; the vote goes under the last of them only, once per answer.
    """
    flags = []
    for index, (response, condition) in enumerate(replies):
        following = replies[index + 1][0] if index + 1 < len(replies) else None
        flags.append(answers_question(response, condition) and following != response)
    return flags
