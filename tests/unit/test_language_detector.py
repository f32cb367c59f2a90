from rasa.shared.nlu.training_data.message import Message

from bot.nlp.components import LanguageDetector


def entities_of(text: str) -> list[dict]:
    [message] = LanguageDetector().process([Message(data={"text": text})])
    return message.get("entities", [])


def test_an_english_message_is_marked_with_language_en():
    [entity] = entities_of("What is a work integration social enterprise?")
    assert (entity["entity"], entity["value"]) == ("language", "en")
    assert entity["extractor"] == "LanguageDetector"


def test_a_swedish_message_gets_no_language_entity():
    assert entities_of("Vad är ett arbetsintegrerande socialt företag?") == []


def test_entities_found_before_are_kept():
    message = Message(
        data={
            "text": "how do I change my answer about the profit",
            "entities": [{"entity": "criterion", "value": "reinvestment", "start": 0, "end": 1}],
        }
    )
    [processed] = LanguageDetector().process([message])
    assert [e["entity"] for e in processed.get("entities")] == ["criterion", "language"]
