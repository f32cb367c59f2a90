"""The services an action uses: given to its constructor in tests, else this process's."""

from __future__ import annotations

from bot.runtime.bootstrap import Services, bootstrap


class UsesServices:
    """Services from the constructor in tests, else this process's bootstrap."""

    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        return self._services or bootstrap()
