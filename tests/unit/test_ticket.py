"""Ticket rules: references, subject excerpts, reply addresses, Message-IDs."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.ticket import (
    EXCERPT_LENGTH,
    Ticket,
    TicketError,
    clean_reply_to,
    last_turns,
    message_id,
    plain_text,
    subject_excerpt,
    ticket_reference,
)


def test_a_reference_has_the_year_and_a_six_digit_number():
    assert ticket_reference(2026, 123) == "ASF-2026-000123"
    assert ticket_reference(2027, 1) == "ASF-2027-000001"
    with pytest.raises(TicketError):
        ticket_reference(2026, 0)


def test_a_short_question_is_its_own_excerpt_on_one_line():
    assert subject_excerpt("  Hur   söker\r\njag\tstöd?  ") == "Hur söker jag stöd?"


def test_a_long_question_is_cut_on_a_word_boundary_with_an_ellipsis():
    question = (
        "Kan en ekonomisk förening med tre medlemmar bli ett arbetsintegrerande socialt företag"
    )
    excerpt = subject_excerpt(question)
    assert excerpt.endswith("…") and len(excerpt) <= EXCERPT_LENGTH
    assert question.startswith(excerpt[:-1])
    assert question[len(excerpt) - 1] == " "


@given(st.text())
def test_no_excerpt_holds_a_line_break_or_control_character(question):
    excerpt = subject_excerpt(question)
    assert len(excerpt) <= EXCERPT_LENGTH
    assert not any(ch in excerpt for ch in "\r\n\x00\x0b\x0c\x85\u2028\u2029")
    assert "=?" not in excerpt


def test_the_question_keeps_its_line_breaks_but_loses_invisible_controls():
    assert plain_text("Rad ett\r\nrad två\x00\x1b[31m") == "Rad ett\nrad två[31m"


@pytest.mark.parametrize("address", [None, "", "   "])
def test_no_address_means_no_reply_to(address):
    assert clean_reply_to(address) is None


def test_a_plain_address_is_kept():
    assert clean_reply_to(" anna.berg@example.se ") == "anna.berg@example.se"


def test_a_domain_with_swedish_letters_is_kept_in_the_form_headers_carry():
    assert clean_reply_to("anna@exämple.se") == "anna@xn--exmple-cua.se"


@pytest.mark.parametrize(
    "address",
    [
        "a@b.se\nBcc: c@d.se",
        "Anna <a@b.se>",
        "a@b.se, c@d.se",
        "a@b",
        "@b.se",
        "a" * 250 + "@b.se",
        "åsa@example.se",
    ],
)
def test_anything_but_one_plain_address_is_refused(address):
    with pytest.raises(TicketError):
        clean_reply_to(address)


def test_staff_see_at_most_the_last_ten_turns():
    turns = [("user", str(n)) for n in range(15)]
    assert [t.text for t in last_turns(turns)] == [str(n) for n in range(5, 15)]


def test_the_message_id_depends_only_on_the_ticket():
    when = datetime(2026, 11, 28, 9, 30, 5, 123456, tzinfo=timezone.utc)
    ticket = Ticket("ASF-2026-000123", "fråga", (), None, when, "ref")
    assert message_id(ticket, "example.se") == "<ASF-2026-000123.20261128T093005123456@example.se>"
    assert message_id(ticket, "example.se") == message_id(ticket, "example.se")
