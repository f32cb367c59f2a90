"""The services an action uses: given to its constructor in tests, else this process's;
and the variant (Swedish, English or lättläst) the conversation is in."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.domain.variants import LANGUAGE_SLOT, READING_MODE_SLOT, Variant, variant_of
from bot.runtime.bootstrap import Services, bootstrap


def variant(tracker: Tracker) -> Variant:
    """Return the variant the conversation's `language` and `reading_mode` slots ask for.

    A slot the domain lacks, or has not set, reads as None: plain Swedish.
    """
    return variant_of(tracker.get_slot(LANGUAGE_SLOT), tracker.get_slot(READING_MODE_SLOT))


class UsesServices:
    """Services from the constructor in tests, else this process's bootstrap."""

    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or bootstrap()
