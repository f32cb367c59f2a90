import pytest

from bot.domain.language import ENGLISH, SWEDISH, detect_language, is_english


def language_of(text: str) -> str | None:
    detection = detect_language(text)
    return None if detection is None else detection.language


@pytest.mark.parametrize(
    "text",
    [
        "What is a social enterprise?",
        "How do I contact you",
        "Is there any funding I can apply for?",
        "hello",
        "hi",
        "thanks",
        "Do you speak English?",
        "in english please",
        "can I talk to a human",
        "that did not answer my question",
        "what are the conditions",
        "how many people work in these companies",
        "is there an ASF in Skåne",
        "please delete my data",
    ],
)
def test_english_messages_are_recognised(text):
    assert language_of(text) == ENGLISH
    assert is_english(text)


@pytest.mark.parametrize(
    "text",
    [
        "Vad är ett ASF?",
        "vad ar ett socialt foretag",
        "kan man söka pengar",
        "finns det stöd för ett ASF i Skåne",
        "jag vill ha lite help med mitt social business",
        "tack så mycket",
        "nej tack, det räcker",
        "vem kan jag ringa på tillväxtverket",
        "hur många jobbar på de här företagen",
    ],
)
def test_clearly_swedish_messages_are_recognised(text):
    assert language_of(text) == SWEDISH
    assert not is_english(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ja",
        "nej",
        "ok",
        "okej",
        "yes",
        "vet inte",
        "ja tack",
        "hej",
        "tack",
        "asf",
        "Anna Svensson",
        "anna.svensson@example.se",
        "min adress: anna@example.se",
        "www.tillvaxtverket.se",
        "/choose_english",
        "/affirm",
        '/change_answer{"criterion":"business"}',
        "123 456",
    ],
)
def test_short_and_undecided_messages_tell_no_language(text):
    assert detect_language(text) is None


def test_the_detection_spans_the_whole_message_without_surrounding_space():
    text = "  kan jag ändra svaret om ägandet?\n"
    detection = detect_language(text)
    assert detection is not None
    assert text[detection.start : detection.end] == "kan jag ändra svaret om ägandet?"


def test_an_email_address_does_not_count_as_words():
    # "help" and "support" inside an address are not English words written by the visitor.
    assert detect_language("help.support@example.com") is None
    assert language_of("my email is help.support@example.com") == ENGLISH
