"""Content that staff change without retraining: funding calls and contacts.

The files are plain YAML under the content folder and are read again whenever they
change on disk, so an edit shows in the very next answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

T = TypeVar("T")


class ContentError(ValueError):
    """A content file is missing, malformed or lacks a required field."""


@dataclass(frozen=True)
class Call:
    """A call for funding ("utlysning") and what visitors should be told about it."""

    name: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Calls:
    """Open and closed calls, plus a note shown when none is open."""

    open: tuple[Call, ...]
    closed: tuple[Call, ...]
    note: str

    def summary(self) -> str:
        """Return the text that tells a visitor about the calls."""
        calls = self.open or self.closed
        lines = [f"{c.text} {c.url}" if c.url else c.text for c in calls]
        if not self.open and self.note:
            lines.append(self.note)
        return "\n".join(lines)


@dataclass(frozen=True)
class Contact:
    """Who visitors can turn to at the agency."""

    name: str
    organisation: str
    phone: str
    email: str


def _require(data: dict[str, Any], key: str, source: str) -> Any:
    value = data.get(key)
    if value in (None, ""):
        raise ContentError(f"{source}: '{key}' is missing")
    return value


def _call(data: dict[str, Any], source: str) -> Call:
    return Call(
        name=str(_require(data, "name", source)),
        text=str(_require(data, "text", source)).strip(),
        url=data.get("url") or None,
    )


def parse_calls(data: Any, source: str = "calls.yml") -> Calls:
    """Return the calls described by a parsed calls file."""
    if not isinstance(data, dict):
        raise ContentError(f"{source}: expected a mapping with 'open' and 'closed'")
    return Calls(
        open=tuple(_call(item, source) for item in data.get("open") or ()),
        closed=tuple(_call(item, source) for item in data.get("closed") or ()),
        note=str(data.get("note") or "").strip(),
    )


def parse_contact(data: Any, source: str = "contacts.yml") -> Contact:
    """Return the ASF contact described by a parsed contacts file."""
    if not isinstance(data, dict) or not isinstance(data.get("asf"), dict):
        raise ContentError(f"{source}: expected a mapping with an 'asf' contact")
    asf = data["asf"]
    return Contact(
        name=str(_require(asf, "name", source)),
        organisation=str(_require(asf, "organisation", source)),
        phone=str(_require(asf, "phone", source)),
        email=str(_require(asf, "email", source)),
    )


class _ContentFile(Generic[T]):
    """One YAML file, parsed again only when its modification time changes."""

    def __init__(self, path: Path, parse: Callable[[Any, str], T]) -> None:
        self._path = path
        self._parse = parse
        self._stamp: tuple[int, int] | None = None
        self._value: T | None = None

    def read(self) -> T:
        try:
            stat = self._path.stat()
        except FileNotFoundError as error:
            raise ContentError(f"{self._path} does not exist") from error
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp or self._value is None:
            try:
                data = yaml.safe_load(self._path.read_text(encoding="utf-8"))
            except yaml.YAMLError as error:
                raise ContentError(f"{self._path}: {error}") from error
            self._value = self._parse(data, str(self._path))
            self._stamp = stamp
        return self._value


class ContentRepository:
    """Reads the content folder: calls.yml and contacts.yml."""

    def __init__(self, content_dir: Path) -> None:
        self._calls = _ContentFile(content_dir / "calls.yml", parse_calls)
        self._contact = _ContentFile(content_dir / "contacts.yml", parse_contact)

    def calls(self) -> Calls:
        """Return the current calls."""
        return self._calls.read()

    def contact(self) -> Contact:
        """Return the current ASF contact."""
        return self._contact.read()

    def check(self) -> None:
        """Raise ContentError unless every content file can be read."""
        self.calls()
        self.contact()
