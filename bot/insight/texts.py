"""The insight report's Swedish names for intents, triggers, criteria and outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

TEXTS_FILE = Path(__file__).with_name("texts.yml")


@dataclass(frozen=True)
class InsightTexts:
    """Names staff read, keyed as the figures key them."""

    intents: MappingProxyType[str, str]
    unknown_intent: str
    triggers: MappingProxyType[str, str]
    criteria: MappingProxyType[str, str]
    outcomes: MappingProxyType[str, str]
    verdicts: MappingProxyType[str, str]

    def intent(self, name: str | None) -> str:
        """The name of an intent; an intent without one (a new one) by its own name."""
        if name is None:
            return self.unknown_intent
        return self.intents.get(name, name)


def parse_texts(data: Any) -> InsightTexts:
    """Return the texts of texts.yml's parsed YAML."""
    return InsightTexts(
        **{
            key: MappingProxyType({str(k): str(v) for k, v in data[key].items()})
            for key in ("intents", "triggers", "criteria", "outcomes", "verdicts")
        },
        unknown_intent=str(data["unknown_intent"]),
    )


@cache
def load_texts() -> InsightTexts:
    """Return the texts shipped in bot/insight/texts.yml."""
    return parse_texts(yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8")))
