"""Visitors' e-mail addresses, personnummer and phone numbers never survive redaction."""

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from bot.domain.redaction import (
    EMAIL_PLACEHOLDER,
    PERSONNUMMER_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    Redactor,
    redact,
)
from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import ContentRepository
from tests.strategies import (
    addresses,
    domains,
    local_parts,
    personnummer,
    phone_numbers,
    punctuation,
    sentence,
)

NUMBER_PLACEHOLDERS = {PERSONNUMMER_PLACEHOLDER, PHONE_PLACEHOLDER}


def around(before: str, middle: str, after: str) -> str:
    return " ".join(part for part in (before, middle, after) if part)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Skicka svaret till anna@exempel.se, tack!", "Skicka svaret till [e-postadress], tack!"),
        ("anna@", "[e-postadress]"),
        ("anna@gmail,com", "[e-postadress]"),
        ("min adress är anna @ exempel.se", "min adress är [e-postadress]"),
        ("Åsa.Öberg@exempel.se.", "[e-postadress]."),
        ('{"text": "anna.\\u00f6berg@exempel.se"}', '{"text": "[e-postadress]"}'),
        ("pnr 19850709-1234", "pnr [personnummer]"),
        ("850709+1234 och 198507091234", "[personnummer] och [personnummer]"),
        ("ring 070-123 45 67", "ring [telefonnummer]"),
        ("+46 70 123 45 67 eller 0701234567", "[telefonnummer] eller [telefonnummer]"),
    ],
)
def test_personal_data_in_a_message_is_replaced_by_a_placeholder(text, expected):
    assert redact(text) == expected


def test_figures_from_the_agency_page_and_timestamps_are_left_alone():
    text = "År 2016-2018: 60 miljoner kronor, 358 företag, 9 200 aktiva, 3 500 anställda."
    assert redact(text) == text
    assert redact("timestamp 1712150000.5321") == "timestamp 1712150000.5321"


def test_the_agencys_published_contact_details_may_stay_but_a_visitors_may_not():
    redactor = Redactor.keeping(["eva.carlsson@tillvaxtverket.se"], ["08-681 9223"])
    text = "Kontakta eva.carlsson@tillvaxtverket.se, 08-681 9223. Jag: anna@x.se, 070-111 22 33."
    assert redactor.redact(text) == (
        "Kontakta eva.carlsson@tillvaxtverket.se, 08-681 9223. Jag: [e-postadress], "
        "[telefonnummer]."
    )
    assert redactor.redact("+46 8 681 92 23") == "+46 8 681 92 23"


def test_values_inside_lists_and_dicts_are_redacted_and_other_values_kept():
    value = {"text": "anna@x.se", "entities": [{"value": "070-111 22 33"}], "confidence": 0.9}
    assert Redactor().redact_value(value) == {
        "text": EMAIL_PLACEHOLDER,
        "entities": [{"value": PHONE_PLACEHOLDER}],
        "confidence": 0.9,
    }


def test_every_answer_the_bot_gives_is_stored_as_it_was_said():
    contact = ContentRepository(PROJECT_ROOT / "content").contact()
    redactor = Redactor.keeping([contact.email], [contact.phone])
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts = [v["text"] for variants in domain["responses"].values() for v in variants]
    # Not privacy.yml: its example address (namn@exempel.se) is redacted like any address.
    for name in ("calls.yml", "checklist.yml"):
        data = yaml.safe_load((PROJECT_ROOT / "content" / name).read_text(encoding="utf-8"))
        texts += list(_strings(data))
    changed = [t for t in texts if redactor.redact(t) != t]
    assert changed == []


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@given(sentence, addresses, punctuation, sentence)
@example("Skicka till", "åsa.öberg@exempel.se", ",", "tack")
def test_an_address_inside_a_sentence_is_removed_and_the_words_kept(before, address, mark, after):
    text = around(before, address + mark, after)
    assert redact(text) == around(before, EMAIL_PLACEHOLDER + mark, after)


@given(sentence, local_parts, domains, punctuation, sentence, st.data())
def test_a_mistyped_address_is_removed_too(before, local, domain, mark, after, data):
    head, _, tld = domain.rpartition(".")
    mistyped = data.draw(
        st.sampled_from(
            [f"{local}@", f"{local}@{head},{tld}", f"{local} @ {domain}", f"{local}@ {domain}"]
        )
    )
    text = around(before, mistyped + mark, after)
    assert redact(text) == around(before, EMAIL_PLACEHOLDER + mark, after)


@given(sentence, personnummer(), sentence)
@example("mitt personnummer är", "19850709-1234", "")
def test_a_personnummer_inside_a_sentence_is_removed(before, number, after):
    redacted = redact(around(before, number, after))
    assert redacted in {around(before, p, after) for p in NUMBER_PLACEHOLDERS}


@given(sentence, phone_numbers(), sentence)
@example("ring mig på", "070-123 45 67", "i kväll")
def test_a_phone_number_inside_a_sentence_is_removed(before, number, after):
    redacted = redact(around(before, number, after))
    assert redacted in {around(before, p, after) for p in NUMBER_PLACEHOLDERS}


@given(sentence)
def test_text_without_personal_data_is_unchanged(text):
    assert redact(text) == text
