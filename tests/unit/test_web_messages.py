"""The web app's and the widget's own texts (bot/web/messages.yml), in all three variants."""

import json
import re
from pathlib import Path
from statistics import mean

import pytest
import yaml

from bot.domain.variants import Variant, lix, missing_facts
from bot.web.messages import (
    CHAT_KEYS,
    CONSTANT_KEYS,
    MESSAGES_FILE,
    SCRIPT_PLACEHOLDER,
    WIDGET_KEYS,
    load_messages,
    load_texts,
    widget_script,
    widget_text_sets,
)

WIDGET_JS = Path(__file__).resolve().parents[2] / "bot" / "web" / "static" / "widget.js"
TEXT_SETS = widget_text_sets()
IDS = [text_set.key for text_set in TEXT_SETS]


def test_the_unreachable_message_is_the_one_visitors_are_promised():
    messages = load_messages()
    assert (
        messages.unreachable.format(phone="08-681 9223")
        == "Chatten går inte att nå just nu. Försök igen, eller ring 08-681 9223."
    )


def test_every_message_is_there_in_every_variant():
    texts = load_texts()
    for variant in Variant:
        messages = texts.messages(variant)
        assert all(getattr(messages, key) for key in CHAT_KEYS)
        assert set(texts.widget[variant]) == {*WIDGET_KEYS, *CONSTANT_KEYS}
    assert load_messages(variant=Variant.EN).empty == "Write a question first."


def test_the_text_sets_list_every_chat_widget_and_channel_text_once():
    channel = ["bad_request", "empty", "unreadable", "too_long", "failed"]
    expected = (
        [("widget", f"chat.{key}") for key in CHAT_KEYS]
        + [("widget", f"widget.{key}") for key in WIDGET_KEYS]
        + [("channel", f"channel.{key}") for key in channel]
    )
    assert [(text_set.source, text_set.key) for text_set in TEXT_SETS] == expected


@pytest.mark.parametrize("text_set", TEXT_SETS, ids=IDS)
def test_each_text_has_an_english_and_a_lattlast_version(text_set):
    assert text_set.sv
    assert text_set.en, f"{text_set.key} has no English text"
    assert text_set.lattlast, f"{text_set.key} has no lättläst text"


@pytest.mark.parametrize("text_set", TEXT_SETS, ids=IDS)
def test_each_translation_keeps_the_facts_and_placeholders(text_set):
    assert missing_facts(text_set.sv, text_set.en) == set()
    assert missing_facts(text_set.sv, text_set.lattlast) == set()


@pytest.mark.parametrize("text_set", TEXT_SETS, ids=IDS)
def test_each_lattlast_text_is_easy_to_read(text_set):
    assert lix(text_set.lattlast) <= 30, text_set.lattlast
    # Lines of at most about 55 characters: the longer texts give their line breaks.
    assert all(len(line) <= 55 for line in text_set.lattlast.split("\n")), text_set.lattlast


def test_the_lattlast_texts_read_at_least_15_points_easier_on_average():
    standard = mean(lix(text_set.sv) for text_set in TEXT_SETS)
    easy = mean(lix(text_set.lattlast) for text_set in TEXT_SETS)
    assert easy <= standard - 15, (standard, easy)


def write_without(tmp_path: Path, section: str, key: str, variant: str | None) -> Path:
    data = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    if variant is None:
        del data[section][key]
    else:
        del data[section][key][variant]
    path = tmp_path / "messages.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_missing_translation_fails_the_text_sets_and_the_start(tmp_path: Path):
    path = write_without(tmp_path, "widget", "retry", "lattlast")
    [retry] = [text_set for text_set in widget_text_sets(path) if text_set.key == "widget.retry"]
    assert retry.lattlast is None and retry.en == "Try again"
    with pytest.raises(ValueError, match=r"widget\.retry \(lattlast\)"):
        load_texts(path)


def test_a_missing_message_fails_at_start(tmp_path: Path):
    path = write_without(tmp_path, "chat", "unreachable", None)
    [unreachable] = [t for t in widget_text_sets(path) if t.key == "chat.unreachable"]
    assert (unreachable.sv, unreachable.en, unreachable.lattlast) == ("", None, None)
    with pytest.raises(ValueError, match="unreachable"):
        load_messages(path)


def test_the_widget_uses_exactly_the_texts_the_file_has():
    source = WIDGET_JS.read_text(encoding="utf-8")
    used = set(re.findall(r"\bTEXT\.([A-Za-z]+)", source))
    # The four choices are named through their keys (TEXT[option.key]).
    named = set(re.findall(r'key: "([A-Za-z]+)"', source))
    assert used | named == {*WIDGET_KEYS, *CONSTANT_KEYS}


def test_the_choices_are_named_in_their_own_language_in_every_variant():
    for variant in Variant:
        widget = load_texts().widget[variant]
        assert (
            widget["chooseSwedish"],
            widget["chooseEnglish"],
            widget["chooseStandard"],
            widget["chooseEasy"],
        ) == ("På svenska", "In English", "Vanlig svenska", "Lättläst")


def test_starting_over_is_asked_for_by_the_name_of_the_widgets_button():
    texts = load_texts()
    for variant in Variant:
        button = texts.widget[variant]["newConversation"]
        assert button in texts.messages(variant).bad_session, variant


def test_the_served_script_carries_the_texts_of_all_three_variants():
    texts = load_texts()
    source = WIDGET_JS.read_text(encoding="utf-8")
    served = widget_script(source, texts)
    assert SCRIPT_PLACEHOLDER not in served
    start = served.index("var TEXTS = ") + len("var TEXTS = ")
    data, _ = json.JSONDecoder().raw_decode(served[start:])
    assert data["en"]["launcher"] == "Chat with us"
    assert data["lattlast"]["newShort"] == "Börja om"
    assert data["sv"]["chooseEnglish"] == "In English"
    with pytest.raises(ValueError, match="ASF_WIDGET_TEXTS"):
        widget_script("(function () {})();", texts)
