from rasa.shared.nlu.training_data.message import Message

from bot.nlp.components import LanguageDetector


def entities_of(text: str) -> list[dict]:
    [message] = LanguageDetector().process([Message(data={"text": text})])
    return message.get("entities", [])


def test_an_english_message_is_marked_with_language_en():
    text = "What is a work integration social enterprise?"
    [entity] = entities_of(text)
    assert (entity["entity"], entity["value"]) == ("language", "en")
    assert entity["extractor"] == "LanguageDetector"
    assert (entity["start"], entity["end"]) == (0, len(text))


def test_a_clearly_swedish_message_is_marked_with_language_sv():
    [entity] = entities_of("Vad är ett arbetsintegrerande socialt företag?")
    assert (entity["entity"], entity["value"]) == ("language", "sv")


def test_short_answers_addresses_and_payloads_get_no_language_entity():
    for text in ("ja", "ok", "nej", "vet inte", "anna@example.se", "/choose_english", ""):
        assert entities_of(text) == [], text


def test_entities_found_before_are_kept():
    message = Message(
        data={
            "text": "how do I change my answer about the profit",
            "entities": [{"entity": "criterion", "value": "reinvestment", "start": 0, "end": 1}],
        }
    )
    [processed] = LanguageDetector().process([message])
    assert [e["entity"] for e in processed.get("entities")] == ["criterion", "language"]
