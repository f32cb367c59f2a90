"""The address a visitor types is found in the sentence, or the problem is named."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.domain.email_address import InvalidAddress, Problem, parse_address, reply_address
from tests.strategies import addresses, domains, local_parts, punctuation, sentence


def problem_of(text: str) -> Problem:
    with pytest.raises(InvalidAddress) as error:
        parse_address(text)
    return error.value.problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("anna@", Problem.MISSING_DOMAIN),
        ("anna@gmail,com", Problem.COMMA),
        ("anna @ exempel.se", Problem.SPACES),
        ("anna@ exempel.se", Problem.SPACES),
        ("anna @exempel.se", Problem.SPACES),
        ("@exempel.se", Problem.MISSING_NAME),
        ("anna@exempel", Problem.DOMAIN),
        ("anna..berg@exempel.se", Problem.INVALID),
        ("anna@@exempel.se", Problem.INVALID),
        ("anna@exempel.se eller lisa@exempel.se", Problem.SEVERAL),
        ("ja", Problem.NO_ADDRESS),
        ("", Problem.NO_ADDRESS),
    ],
)
def test_a_mistyped_address_is_refused_with_its_problem_named(text, problem):
    assert problem_of(text) is problem


def test_the_address_is_found_in_a_sentence_and_its_domain_lowercased():
    assert parse_address("Min adress är Åsa.Öberg@Exempel.SE.") == "Åsa.Öberg@exempel.se"
    assert parse_address("<anna@exempel.se>") == "anna@exempel.se"


def test_staff_can_reply_to_swedish_letters_after_the_at_but_not_before_it():
    assert reply_address("min adress är anna.berg@föreningen.se") == "anna.berg@föreningen.se"
    with pytest.raises(InvalidAddress) as error:
        reply_address("Åsa.Öberg@exempel.se")
    assert error.value.problem is Problem.SPECIAL_LETTERS
    # The syntax is checked first, with its own problem named.
    with pytest.raises(InvalidAddress) as error:
        reply_address("anna@gmail,com")
    assert error.value.problem is Problem.COMMA


@given(sentence, addresses, punctuation, sentence)
@example("skicka svaret till", "björn.ärlig@företaget.se", ".", "")
def test_a_valid_address_inside_a_sentence_is_accepted_as_it_is(before, address, mark, after):
    text = " ".join(part for part in (before, address + mark, after) if part)
    assert parse_address(text) == address


@given(local_parts, domains)
def test_a_comma_for_the_last_dot_is_named(local, domain):
    head, _, tld = domain.rpartition(".")
    assert problem_of(f"{local}@{head},{tld}") is Problem.COMMA


@given(local_parts, domains, st.sampled_from([" @ ", " @", "@ "]))
def test_spaces_around_the_at_sign_are_named(local, domain, at):
    assert problem_of(f"{local}{at}{domain}") is Problem.SPACES


@given(sentence, local_parts, sentence)
def test_an_address_without_domain_is_named(before, local, after):
    text = " ".join(part for part in (before, f"{local}@", after) if part)
    assert problem_of(text) is Problem.MISSING_DOMAIN


@given(sentence)
def test_a_message_without_at_sign_has_no_address(text):
    assert problem_of(text) is Problem.NO_ADDRESS
