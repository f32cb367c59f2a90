"""The texts of domain.yml's responses, in their three variants, for the checks and the bench.

Each response in domain.yml has a Swedish variation, an English one (condition
`language: en`) and a lättläst one (`language: sv` and `reading_mode: lattlast`). Where
loaded content decides the text (the contact, the calls), a response has one Swedish
variation per case, told apart by further slot conditions ("not loaded" is the
variation conditioned on an empty slot), and each case has its own English and
lättläst variations.

A variation's *case* is its conditions other than the language and reading mode. An
English or lättläst variation belongs to the Swedish variation with the same case, or,
when no Swedish variation names that case, to the unconditioned Swedish one: e.g. the
English contact conditioned on `contact_loaded: true` translates the Swedish text Rasa
picks when nothing else matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.domain.variants import LANGUAGE_SLOT, READING_MODE_SLOT, Variant
from bot.services.texts import TextSet

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"
SOURCE = "domain.yml"
# The buttons that choose a language or reading mode (/choose_english, ...).
LANGUAGE_CHOICE_PREFIX = "/choose_"

Case = tuple[tuple[str, Any], ...]


def _conditions(variation: Mapping[str, Any]) -> dict[str, Any]:
    return {c["name"]: c["value"] for c in variation.get("condition") or []}


def variant_of_variation(variation: Mapping[str, Any]) -> Variant:
    """Return the variant a response variation is written in, from its conditions."""
    conditions = _conditions(variation)
    if conditions.get(LANGUAGE_SLOT) == "en":
        return Variant.EN
    if conditions.get(READING_MODE_SLOT) == "lattlast":
        return Variant.LATTLAST
    return Variant.SV


def case_of(variation: Mapping[str, Any]) -> Case:
    """Return the conditions of a variation other than the language and reading mode."""
    conditions = _conditions(variation)
    return tuple(
        sorted(
            (name, value)
            for name, value in conditions.items()
            if name not in (LANGUAGE_SLOT, READING_MODE_SLOT)
        )
    )


def case_label(case: Case) -> str:
    """Name a case for a TextSet's key: "not loaded" for an empty slot, else name=value."""
    if any(value is None for _, value in case):
        return "not loaded"
    return ",".join(f"{name}={_yaml_scalar(value)}" for name, value in case)


def _yaml_scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _buttons(variation: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return list((variation or {}).get("buttons") or [])


def _title(variation: Mapping[str, Any] | None, payload: str) -> str | None:
    """The title of the button with this payload in a variation (None if it has none)."""
    for button in _buttons(variation):
        if button.get("payload") == payload:
            return button.get("title")
    return None


def _is_language_choice(button: Mapping[str, Any]) -> bool:
    # "In English", "På svenska", "Lättläst", "Vanlig svenska": each written in the
    # language it chooses, the same in every variant, not translations of each other.
    return str(button.get("payload", "")).startswith(LANGUAGE_CHOICE_PREFIX)


def _response_text_sets(name: str, variations: Iterable[Mapping[str, Any]]) -> list[TextSet]:
    swedish: dict[Case, Mapping[str, Any]] = {}
    translated: dict[tuple[Case, Variant], Mapping[str, Any]] = {}
    variations = list(variations)
    for variation in variations:
        if variant_of_variation(variation) is Variant.SV:
            swedish.setdefault(case_of(variation), variation)
    for variation in variations:
        variant = variant_of_variation(variation)
        if variant is Variant.SV:
            continue
        case = case_of(variation)
        owner = case if case in swedish else ()
        translated.setdefault((owner, variant), variation)

    sets: list[TextSet] = []
    for case, sv in swedish.items():
        key = name if not case else f"{name}[{case_label(case)}]"
        en = translated.get((case, Variant.EN))
        lattlast = translated.get((case, Variant.LATTLAST))
        sets.append(
            TextSet(
                SOURCE,
                key,
                sv.get("text", ""),
                en.get("text") if en else None,
                lattlast.get("text") if lattlast else None,
            )
        )
        for index, button in enumerate(_buttons(sv)):
            if _is_language_choice(button):
                continue
            payload = button.get("payload", "")
            sets.append(
                TextSet(
                    SOURCE,
                    f"{key}.button.{index + 1}",
                    button.get("title", ""),
                    _title(en, payload),
                    _title(lattlast, payload),
                )
            )
    return sets


def domain_text_sets(path: Path = DOMAIN_FILE) -> list[TextSet]:
    """Return every text of the responses in `path`: one TextSet per response and case,
    and one per button title ("utter_greet.button.1", the same button found by its payload
    in each variant; the buttons choosing a language are left out), placeholders as
    written."""
    responses = yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}
    sets: list[TextSet] = []
    for name, variations in responses.items():
        sets.extend(_response_text_sets(name, variations))
    return sets
