"""Find and check the e-mail address a visitor typed, and name what is wrong with it.

Syntax only (email-validator with check_deliverability=False): the bot never looks the
domain up. The problem codes are keys of `problems` in content/privacy.yml, where the
Swedish re-ask for each one lives.
"""

from __future__ import annotations

import re
from enum import Enum

from email_validator import EmailNotValidError, validate_email

# Sentence punctuation and brackets around an address belong to the sentence.
_AROUND = "\"'“”‘’«»()[]<>{}.,;:!?"


class Problem(str, Enum):
    """What is wrong with what the visitor typed as an address."""

    NO_ADDRESS = "no_address"  # no @ at all
    SEVERAL = "several"  # more than one address in one message
    SPACES = "spaces"  # "anna @ exempel.se"
    MISSING_NAME = "missing_name"  # "@exempel.se"
    MISSING_DOMAIN = "missing_domain"  # "anna@"
    COMMA = "comma"  # "anna@gmail,com"
    DOMAIN = "domain"  # "anna@exempel" (no dot), "anna@exempel..se"
    INVALID = "invalid"  # anything else email-validator refuses
    # "åsa.öberg@exempel.se": valid, but staff cannot reply to it (see reply_address).
    SPECIAL_LETTERS = "special_letters"


class InvalidAddress(ValueError):
    """The text holds no usable e-mail address; `problem` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _looks_like_domain(word: str) -> bool:
    return bool(re.fullmatch(r"[^\s@]+[.,][^\s@]+", word.strip(_AROUND)))


def _candidate(text: str) -> str:
    """Return the one word of `text` that is meant as an address."""
    words = text.split()
    at_words = [i for i, word in enumerate(words) if "@" in word]
    if not at_words:
        raise InvalidAddress(Problem.NO_ADDRESS)
    if len(at_words) > 1:
        raise InvalidAddress(Problem.SEVERAL)
    i = at_words[0]
    word = words[i].strip(_AROUND)
    has_before, has_after = i > 0, i + 1 < len(words)
    # An @ with a space on either side: "anna @ exempel.se", "anna @exempel.se",
    # "anna@ exempel.se".
    if word == "@" and (has_before or has_after):
        raise InvalidAddress(Problem.SPACES)
    if word.startswith("@") and len(word) > 1 and has_before:
        raise InvalidAddress(Problem.SPACES)
    if word.endswith("@") and has_after and _looks_like_domain(words[i + 1]):
        raise InvalidAddress(Problem.SPACES)
    return word


def parse_address(text: str) -> str:
    """Return the normalised address in `text` (a sentence may surround it).

    Raises InvalidAddress naming the problem when there is no single valid address.
    """
    word = _candidate(text.strip())
    if word.count("@") > 1:
        raise InvalidAddress(Problem.INVALID)
    name, _, domain = word.rpartition("@")
    if not name:
        raise InvalidAddress(Problem.MISSING_NAME)
    if not domain:
        raise InvalidAddress(Problem.MISSING_DOMAIN)
    if "," in domain:
        raise InvalidAddress(Problem.COMMA)
    try:
        return validate_email(word, check_deliverability=False).normalized
    except EmailNotValidError as error:
        problem = Problem.DOMAIN if "after the @-sign" in str(error) else Problem.INVALID
        raise InvalidAddress(problem) from error


def reply_address(text: str) -> str:
    """Return the address in `text` if staff can reply to it; InvalidAddress otherwise.

    Like parse_address, and the part before the @ must be ASCII: a mail's Reply-To can
    carry other letters there only where every relay speaks SMTPUTF8, and few do
    (bot.domain.ticket.clean_reply_to refuses them). Letters such as å, ä, ö after the @ are fine.
    """
    address = parse_address(text)
    if not address.rpartition("@")[0].isascii():
        raise InvalidAddress(Problem.SPECIAL_LETTERS)
    return address
