"""Wire settings and services together once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.content import ContentRepository
from bot.settings import Settings


@dataclass(frozen=True)
class Services:
    """What the actions and the web app need, built from one Settings."""

    settings: Settings
    content: ContentRepository


def build_services(settings: Settings) -> Services:
    """Return the services for the given settings."""
    return Services(settings=settings, content=ContentRepository(settings.content_dir))


@lru_cache(maxsize=1)
def bootstrap() -> Services:
    """Return this process's services, built from the environment on first use."""
    return build_services(Settings.from_env())
