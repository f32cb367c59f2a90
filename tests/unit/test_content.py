import os
from pathlib import Path

import pytest

from bot.runtime.settings import PROJECT_ROOT
from bot.services.content import (
    Call,
    Calls,
    ContentError,
    ContentRepository,
    parse_calls,
    parse_contact,
)

CLOSED = {"name": "ASF Affärsutvecklingscheck", "text": "Utlysningen är stängd."}


def test_with_no_open_call_the_summary_tells_the_closed_ones_and_the_note():
    calls = parse_calls({"open": [], "closed": [CLOSED], "note": "Mer information kommer."})
    assert calls.summary() == "Utlysningen är stängd.\nMer information kommer."


def test_open_calls_are_told_with_their_links_and_closed_ones_are_left_out():
    calls = parse_calls(
        {
            "open": [{"name": "Check", "text": "Sök checken senast i maj.", "url": "https://x.se"}],
            "closed": [CLOSED],
            "note": "Mer information kommer.",
        }
    )
    assert calls.summary() == "Sök checken senast i maj. https://x.se"


def test_a_call_without_text_is_rejected_with_the_field_named():
    with pytest.raises(ContentError, match="'text' is missing"):
        parse_calls({"open": [{"name": "Check"}]})


def test_a_contact_without_phone_is_rejected():
    with pytest.raises(ContentError, match="'phone' is missing"):
        parse_contact({"asf": {"name": "A", "organisation": "B", "email": "c@d.se"}})


def test_the_shipped_content_tells_what_the_agency_page_says(source_page):
    repository = ContentRepository(PROJECT_ROOT / "content")
    contact = repository.contact()
    assert (contact.name, contact.phone) == ("Eva Carlsson", "08-681 9223")
    assert contact.name in source_page and contact.phone in source_page
    assert contact.email == "eva.carlsson@tillvaxtverket.se"
    calls = repository.calls()
    assert calls.open == ()
    assert "Affärsutvecklingscheck är stängd eftersom samtliga medel tilldelats" in (
        calls.summary()
    )
    assert "Mer information kommer." in calls.summary()


def _write_contact(path: Path, name: str) -> None:
    path.write_text(
        f"asf:\n  name: {name}\n  organisation: Tillväxtverket\n"
        "  phone: 08-681 9223\n  email: x@tillvaxtverket.se\n",
        encoding="utf-8",
    )


def test_an_edited_content_file_is_read_again_without_a_restart(tmp_path):
    contacts = tmp_path / "contacts.yml"
    _write_contact(contacts, "Eva Carlsson")
    repository = ContentRepository(tmp_path)
    assert repository.contact().name == "Eva Carlsson"
    _write_contact(contacts, "Anna Andersson")
    # Same second on a coarse clock: move the time on so the change is visible.
    stat = contacts.stat()
    os.utime(contacts, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert repository.contact().name == "Anna Andersson"


def test_a_missing_or_broken_file_is_reported_by_name(tmp_path):
    repository = ContentRepository(tmp_path)
    with pytest.raises(ContentError, match=r"contacts\.yml does not exist"):
        repository.contact()
    (tmp_path / "calls.yml").write_text("open: [unclosed", encoding="utf-8")
    with pytest.raises(ContentError, match=r"calls\.yml"):
        repository.calls()


def test_calls_are_plain_values():
    calls = Calls(open=(Call("A", "Öppen."),), closed=(), note="")
    assert calls.summary() == "Öppen."


def test_the_privacy_statement_is_quoted_word_for_word_from_the_agency_page(source_page):
    import yaml

    statement = ContentRepository(PROJECT_ROOT / "content").privacy().statement
    assert statement.startswith("Om du fyller i din e-postadress")
    assert statement in " ".join(source_page.split())
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert domain["responses"]["utter_privacy"][0]["text"] == statement


def test_privacy_texts_without_a_problem_text_are_rejected():
    import yaml

    from bot.services.content import parse_privacy

    data = yaml.safe_load((PROJECT_ROOT / "content" / "privacy.yml").read_text(encoding="utf-8"))
    del data["problems"]["comma"]
    with pytest.raises(ContentError, match="'problems' lacks comma"):
        parse_privacy(data)


def _escalation_data() -> dict:
    import yaml

    path = PROJECT_ROOT / "content" / "escalation.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _contact():
    return ContentRepository(PROJECT_ROOT / "content").contact()


def test_the_shipped_hand_over_promises_no_answering_time_the_agency_page_does_not_state():
    texts = ContentRepository(PROJECT_ROOT / "content").escalation()
    assert texts.answer_time == ""
    with_address = texts.handed_over("ASF-2026-000123", _contact(), reply_by_email=True)
    assert with_address == (
        "Din fråga är skickad till en handläggare på Tillväxtverket. Ditt ärendenummer är "
        "ASF-2026-000123. Handläggaren svarar dig via e-post till adressen du lämnade, så "
        "snart som möjligt."
    )
    without = texts.handed_over("ASF-2026-000123", _contact(), reply_by_email=False)
    assert "inte svara dig skriftligt" in without and "telefon 08-681 9223" in without
    assert "ASF-2026-000123" in without


def test_an_answering_time_staff_write_is_shown_instead_of_as_soon_as_possible():
    from bot.services.content import parse_escalation

    data = _escalation_data()
    data["answer_time"] = "Handläggaren svarar dig via e-post inom fem arbetsdagar."
    texts = parse_escalation(data)
    shown = texts.handed_over("ASF-2026-000123", _contact(), reply_by_email=True)
    assert shown.endswith(
        "Ditt ärendenummer är ASF-2026-000123. Handläggaren svarar dig via "
        "e-post inom fem arbetsdagar."
    )
    # Without an address, visitors must call whatever the answering time.
    assert "inom fem arbetsdagar" not in texts.handed_over("X", _contact(), reply_by_email=False)


@pytest.mark.parametrize(
    ("field", "text"),
    [("cancelled", "Ring {telefon}."), ("sent", "Ärende {reference"), ("answer_time", "{0}")],
)
def test_an_escalation_text_with_an_unknown_placeholder_is_rejected_by_name(field, text):
    from bot.services.content import parse_escalation

    data = _escalation_data()
    data[field] = text
    with pytest.raises(ContentError, match=f"'{field}'"):
        parse_escalation(data)


def test_main_topics_must_be_topics_with_a_button_title():
    from bot.services.content import parse_escalation

    data = _escalation_data()
    data["main_topics"] = ["what_is_asf", "weather"]
    with pytest.raises(ContentError, match="main_topics"):
        parse_escalation(data)


def test_the_shipped_topic_buttons_match_the_rephrase_buttons_of_the_domain():
    import yaml

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts = ContentRepository(PROJECT_ROOT / "content").escalation()
    # The Swedish variation: the one without a language condition.
    [rephrase] = [v for v in domain["responses"]["utter_rephrase"] if "condition" not in v]
    assert rephrase["text"] == texts.rephrase
    assert [(b["title"], b["payload"]) for b in rephrase["buttons"]] == [
        (texts.topics[t], f"/{t}") for t in texts.main_topics
    ]
