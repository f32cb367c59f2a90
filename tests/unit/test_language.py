import pytest

from bot.domain.language import is_english


@pytest.mark.parametrize(
    "text",
    [
        "What is a social enterprise?",
        "How do I contact you",
        "Is there any funding I can apply for?",
        "hello",
        "thanks",
        "Do you speak English?",
    ],
)
def test_english_messages_are_recognised(text):
    assert is_english(text)


@pytest.mark.parametrize(
    "text",
    [
        "Vad är ett ASF?",
        "vad ar ett socialt foretag",
        "kan man söka pengar",
        "hej",
        "tack",
        "asf",
        "jag vill ha lite help med mitt social business",
        "finns det stöd för ett ASF i Skåne",
        "",
    ],
)
def test_swedish_and_undecided_messages_are_not_english(text):
    assert not is_english(text)
