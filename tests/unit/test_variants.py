"""The variant a conversation is in, LIX, and the facts a translation must keep."""

from __future__ import annotations

import pytest

from bot.domain.variants import Variant, facts, lix, missing_facts, variant_of


@pytest.mark.parametrize(
    ("language", "reading_mode", "expected"),
    [
        ("sv", "standard", Variant.SV),
        ("sv", "lattlast", Variant.LATTLAST),
        ("en", "standard", Variant.EN),
        # English wins: lättläst is a way of writing Swedish.
        ("en", "lattlast", Variant.EN),
        (None, None, Variant.SV),
        ("fr", "huh", Variant.SV),
    ],
)
def test_the_slots_choose_the_variant(language, reading_mode, expected):
    assert variant_of(language, reading_mode) is expected


def test_lix_is_words_per_sentence_plus_the_share_of_long_words():
    # 8 words, 2 sentences, 3 words longer than six letters.
    text = "Ett ASF är ett företag. Det hjälper människor."
    assert lix(text) == pytest.approx(8 / 2 + 100 * 3 / 8)


def test_lix_counts_a_line_break_as_the_end_of_a_sentence():
    assert lix("Du kan söka stöd\nDu kan ringa oss") == pytest.approx(4 + 0)


def test_lix_leaves_out_addresses_and_placeholders():
    assert lix("Ring {contact_phone} eller skriv till eva.carlsson@tillvaxtverket.se.") == (
        lix("Ring eller skriv till.")
    )
    assert lix("") == 0.0


def test_facts_are_numbers_names_phone_numbers_and_addresses():
    text = (
        "I de 358 företagen finns 9 200 aktiva. Ring Eva på 08-681 9223 eller skriv till "
        "eva.carlsson@tillvaxtverket.se. Läs mer på tillvaxtverket.se/personuppgifter. "
        "Tillväxtverket satsade 2016–2018. {contact_name}"
    )
    assert facts(text) == {
        "358",
        "9200",
        "08-681 9223",
        "eva.carlsson@tillvaxtverket.se",
        "tillvaxtverket.se/personuppgifter",
        "Tillväxtverket",
        "2016",
        "2018",
        "{contact_name}",
    }


def test_a_translation_that_drops_or_changes_a_fact_is_caught():
    swedish = "I de 358 företagen finns 9 200 aktiva, varav cirka 3 500 är anställda."
    assert (
        missing_facts(swedish, "The 358 companies have 9,200 active people, about 3,500 employed.")
        == set()
    )
    assert missing_facts(swedish, "The 358 companies have 9,200 active people, many employed.") == {
        "3500"
    }
    assert missing_facts(
        swedish, "The 385 companies have 9,200 active people, about 3,500 employed."
    ) == {"358"}
