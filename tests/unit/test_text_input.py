"""Cleaning what visitors type: no input the bot cannot read, ordinary text untouched."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.text_input import (
    RAW_LENGTH_FACTOR,
    CheckedMessage,
    Problem,
    check_message,
    clean_text,
)
from tests.strategies import LETTERS

# Characters that broke the bot or hide text, drawn often rather than by luck.
NASTY = [
    "\ud800", "\udfff", "\ud83d", "\ude00", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f",
    "\t", "\n", "\r", "\x0b", "\x0c", "\u2028", "\u2029", "\u00a0", "\u3000",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\u200b", "\u200e", "\u200f", "\u00ad", "\ufeff", "\ufffe", "\uffff", "\ufdd0",
    "\U0001fffe", "\U0010ffff", "\U000e0041", "\U000e007f", "\U0001f3f4", "\u0301", "\u030a",
]  # fmt: skip
# A list joined, not st.text(one_of(...)): Hypothesis merges a union of alphabets into
# one and then leaves the surrogates out.
anything = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),  # every category, surrogates included
        st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]),
        st.sampled_from(NASTY),
    ),
    max_size=60,
).map("".join)

KEPT_FORMAT = {"\u200c", "\u200d"}
EMOJI = [
    "😀", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🇸🇪", "❤️", "1️⃣", "🏳️‍🌈",
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland
    "🫠",  # Unicode 14: unassigned in Python 3.10's tables, and kept all the same
]  # fmt: skip
swedish_words = st.text(alphabet=LETTERS + "0123456789-", min_size=1, max_size=12)
ordinary = st.lists(
    st.one_of(
        swedish_words,
        st.builds(str.__add__, swedish_words, st.sampled_from([".", ",", "?", "!", ":"])),
        st.sampled_from(EMOJI),
    ),
    min_size=1,
    max_size=12,
).map(" ".join)


def is_tag(char: str) -> bool:
    return 0xE0000 <= ord(char) <= 0xE007F


@settings(max_examples=500, derandomize=True)
@given(anything)
def test_cleaned_text_encodes_as_utf8_and_holds_no_controls_surrogates_or_invisible_format(raw):
    text = clean_text(raw)
    text.encode("utf-8")  # strict: a lone surrogate would raise
    for char in text:
        category = unicodedata.category(char)
        assert category != "Cs", repr(char)
        assert category != "Cc" or char == "\n", repr(char)  # a line break is kept
        assert category != "Cf" or char in KEPT_FORMAT or is_tag(char), repr(char)
        assert (ord(char) & 0xFFFE) != 0xFFFE and not 0xFDD0 <= ord(char) <= 0xFDEF


@settings(max_examples=500, derandomize=True)
@given(anything)
def test_cleaning_twice_changes_nothing_more_and_leaves_nfc_with_single_spaces(raw):
    text = clean_text(raw)
    assert clean_text(text) == text
    assert unicodedata.normalize("NFC", text) == text
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert all(line == " ".join(line.split()) for line in text.split("\n"))


@settings(max_examples=300, derandomize=True)
@given(ordinary)
def test_ordinary_swedish_text_and_emoji_come_back_unchanged(text):
    assert clean_text(text) == text
    assert check_message(text, max_length=len(text)) == CheckedMessage(text)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Vad är ett ASF?\ud800", "Vad är ett ASF?"),
        ("\udc00Hur söker jag stöd?", "Hur söker jag stöd?"),
        ("smile \ud83d\ude00", "smile 😀"),  # a pair as two code points is one emoji
        ("hej\x00då", "hejdå"),
        ("\x1b[31mröd\x1b[0m", "[31mröd[0m"),  # the escape goes, the visible rest stays
        ("  Vad\tkostar\r\ndet?\n", "Vad kostar\ndet?"),
        ("rad ett\u2028rad två\x85tre\x0bfyra", "rad ett\nrad två\ntre\nfyra"),
        ("\n\nstycke ett \n \n\n\r\n stycke två\n\n", "stycke ett\n\nstycke två"),
        ("\u202eFSA\u202c ett är vad", "FSA ett är vad"),
        ("\ufeffBOM först", "BOM först"),
        ("för\u00adetag", "företag"),
        ("nollbredd\u200bmellanrum", "nollbreddmellanrum"),
        ("Sa\u030angsa\u0308ker", "Sångsäker"),  # decomposed å and ä (macOS) become one letter
        ("e\x00\u0301", "é"),  # the accent joins its letter once the NUL between is gone
        ("\ufffe\uffffhej\U0010ffff", "hej"),
        ("dold\U000e0041\U000e0042text", "doldtext"),  # tag characters outside a flag
        ("\u00a0icke\u3000brytande ", "icke brytande"),
    ],
)
def test_unreadable_characters_go_and_whitespace_becomes_single_spaces_and_line_breaks(
    raw, cleaned
):
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize("raw", ["", " ", "\n\t  \r\n", "\x1c\x1d\x1e\x1f", "\u3000"])
def test_a_message_of_nothing_or_only_spaces_is_empty(raw):
    assert check_message(raw, 500) == CheckedMessage("", Problem.EMPTY)


@pytest.mark.parametrize(
    "raw", ["\ud800", "\x00", "\x07\x08", "\u202e", "\u200b\ufeff", "\ufffe", " \ud800 \x00 "]
)
def test_a_message_of_only_unreadable_characters_is_unreadable(raw):
    assert check_message(raw, 500) == CheckedMessage("", Problem.UNREADABLE)


def test_the_length_limit_counts_the_cleaned_text():
    assert check_message("x" * 20 + "\x00" * 10 + "  ", 20) == CheckedMessage("x" * 20)
    assert check_message("x" * 21, 20) == CheckedMessage("", Problem.TOO_LONG)
    assert check_message("x" * 10 + "\u200b" * 30, 20) == CheckedMessage("x" * 10)


def test_a_message_far_over_the_limit_is_refused_before_it_is_cleaned():
    raw = "\x00" * (20 * RAW_LENGTH_FACTOR + 1)
    assert check_message(raw, 20) == CheckedMessage("", Problem.TOO_LONG)


@settings(max_examples=300, derandomize=True)
@given(anything, st.integers(min_value=1, max_value=80))
def test_a_checked_message_is_either_clean_text_within_the_limit_or_a_problem(raw, max_length):
    checked = check_message(raw, max_length)
    if checked.problem is None:
        assert checked.text == clean_text(raw)
        assert 0 < len(checked.text) <= max_length
    else:
        assert checked.text == ""
