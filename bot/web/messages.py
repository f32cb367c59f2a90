"""The web app's and the widget's own texts, in Swedish, English and lättläst (messages.yml).

`chat:` are the chat API's answers when a message is not passed on to the bot
(`Messages`, one per variant); `widget:` are the widget's labels, buttons and notices,
given to widget.js when it is served (`widget_script`); `constant:` are the same in
every variant (the names of the four choices, each in its own language).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from bot.domain.variants import Variant
from bot.services.texts import TextSet

MESSAGES_FILE = Path(__file__).with_name("messages.yml")
# Rasa's REST channel's own refusals (bot/nlp/channel.py), listed with these: the same
# kind of text, read here as YAML so the web app imports nothing of Rasa.
CHANNEL_MESSAGES_FILE = Path(__file__).resolve().parents[1] / "nlp" / "channel_messages.yml"
SOURCE = "widget"
CHANNEL_SOURCE = "channel"

# Every text widget.js uses (TEXT.<name>); tests/unit/test_web_messages.py checks that
# the script uses no other. CONSTANT_KEYS are the same in every variant.
WIDGET_KEYS = (
    "launcher",
    "close",
    "tools",
    "newShort",
    "newConversation",
    "saveShort",
    "save",
    "saved",
    "savedTitle",
    "savedOn",
    "at",
    "eraseShort",
    "erase",
    "eraseTitle",
    "eraseText",
    "eraseConfirm",
    "cancel",
    "log",
    "you",
    "inputLabel",
    "send",
    "typing",
    "retry",
    "privacy",
    "suggestions",
    "newWindow",
    "unreachable",
    "voteQuestion",
    "voteUp",
    "voteDown",
    "voteUpName",
    "voteDownName",
    "voteDownShown",
    "voteThanks",
    "votedUp",
    "votedDown",
    "voteFailed",
    "language",
)
CONSTANT_KEYS = ("chooseSwedish", "chooseEnglish", "chooseStandard", "chooseEasy", "fileName")
# Where widget.js takes its texts: served with this replaced by them (as JSON).
SCRIPT_PLACEHOLDER = "/* ASF_WIDGET_TEXTS */ null"


@dataclass(frozen=True)
class Messages:
    """The chat API's texts in one variant, shown by the widget as they are."""

    bad_request: str
    bad_session: str
    empty: str
    unreadable: str
    too_long: str
    rate_limited: str
    unreachable: str
    unreachable_without_phone: str
    no_answer: str
    no_answer_without_phone: str
    vote_refused: str
    vote_failed: str


CHAT_KEYS = tuple(field.name for field in fields(Messages))


@dataclass(frozen=True)
class WebTexts:
    """All of messages.yml, checked: every text in every variant."""

    chat: Mapping[Variant, Messages]
    widget: Mapping[Variant, Mapping[str, str]]

    def messages(self, variant: Variant = Variant.SV) -> Messages:
        """The chat API's texts in `variant`."""
        return self.chat[variant]

    def widget_json(self) -> str:
        """The widget's texts as widget.js takes them: {"sv": {...}, "en": ..., "lattlast": ...}."""
        data = {variant.value: dict(self.widget[variant]) for variant in Variant}
        # JSON is JavaScript; "</" is escaped all the same, should the script be inlined.
        return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping")
    return data


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name)
    return section if isinstance(section, dict) else {}


def _variants(entry: Any) -> dict[Variant, str | None]:
    entry = entry if isinstance(entry, dict) else {}
    return {
        variant: entry[variant.value] if isinstance(entry.get(variant.value), str) else None
        for variant in Variant
    }


def _text_set(source: str, key: str, entry: Any) -> TextSet:
    texts = _variants(entry)
    return TextSet(
        source=source,
        key=key,
        sv=texts[Variant.SV] or "",
        en=texts[Variant.EN],
        lattlast=texts[Variant.LATTLAST],
    )


def _web_text_sets(path: Path) -> list[TextSet]:
    data = _read(path)
    sets = []
    for section, keys in (("chat", CHAT_KEYS), ("widget", WIDGET_KEYS)):
        entries = _section(data, section)
        for key in (*keys, *(k for k in entries if k not in keys)):
            sets.append(_text_set(SOURCE, f"{section}.{key}", entries.get(key)))
    return sets


def widget_text_sets(
    path: Path = MESSAGES_FILE, channel_path: Path = CHANNEL_MESSAGES_FILE
) -> list[TextSet]:
    """Every text of the chat API, the widget and Rasa's REST channel, in its three
    variants (None where one is missing).

    Keys are "chat.<name>" and "widget.<name>" (source "widget", messages.yml) and
    "channel.<name>" (source "channel", channel_messages.yml); the constant names of the
    choices are not texts to translate and are not listed.
    """
    channel = _read(channel_path)
    return _web_text_sets(path) + [
        _text_set(CHANNEL_SOURCE, f"channel.{key}", entry) for key, entry in channel.items()
    ]


def load_texts(path: Path = MESSAGES_FILE) -> WebTexts:
    """Read messages.yml; a text missing in any variant fails at start, not in front of a
    visitor."""
    data = _read(path)
    missing = [
        f"{text_set.key} ({variant.value})"
        for text_set in _web_text_sets(path)
        for variant in Variant
        if not text_set.text(variant)
    ]
    constant = _section(data, "constant")
    missing += [
        f"constant.{key}" for key in CONSTANT_KEYS if not isinstance(constant.get(key), str)
    ]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    chat = _section(data, "chat")
    widget = _section(data, "widget")
    return WebTexts(
        chat={
            variant: Messages(**{key: chat[key][variant.value] for key in CHAT_KEYS})
            for variant in Variant
        },
        widget={
            variant: {
                **{key: widget[key][variant.value] for key in WIDGET_KEYS},
                **{key: constant[key] for key in CONSTANT_KEYS},
            }
            for variant in Variant
        },
    )


def load_messages(path: Path = MESSAGES_FILE, variant: Variant = Variant.SV) -> Messages:
    """The chat API's texts in one variant (Swedish unless told)."""
    return load_texts(path).messages(variant)


def widget_script(source: str, texts: WebTexts) -> str:
    """widget.js with its texts in it; ValueError if the script has no place for them."""
    if source.count(SCRIPT_PLACEHOLDER) != 1:
        raise ValueError(f"widget.js must contain {SCRIPT_PLACEHOLDER!r} exactly once")
    return source.replace(SCRIPT_PLACEHOLDER, texts.widget_json())
