"""Cells: the figures' numbers, which hide the counts of one or two conversations.

A cell that one or two conversations are behind holds no number at all (`value` is None,
`hidden` True), so nothing downstream can show it by mistake; `text` reads "< 3".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

# Fewer conversations than this behind a figure, and it is not shown.
MIN_CONVERSATIONS = 3
HIDDEN_TEXT = f"< {MIN_CONVERSATIONS}"


class Kind(str, Enum):
    """How a cell's number reads."""

    COUNT = "count"
    SHARE = "share"  # 0.0-1.0, shown as a percentage
    MEAN = "mean"  # one decimal


@dataclass(frozen=True)
class Cell:
    """One figure: its value, or nothing when one or two conversations are behind it.

    `value` is None both when it is hidden (`hidden`) and when there is nothing to
    compute it from (a share of zero messages): `text` tells them apart.
    """

    value: float | None
    kind: Kind = Kind.COUNT
    hidden: bool = False

    @classmethod
    def count(cls, value: int, *behind: int) -> Cell:
        """A count; hidden if any of the conversation counts `behind` it is one or two."""
        if few(*behind):
            return cls(None, Kind.COUNT, hidden=True)
        return cls(value, Kind.COUNT)

    @classmethod
    def share(cls, part: int, whole: int, *behind: int) -> Cell:
        """`part` of `whole`; hidden if any of the conversation counts `behind` is one or two."""
        if few(*behind):
            return cls(None, Kind.SHARE, hidden=True)
        return cls(part / whole if whole else None, Kind.SHARE)

    @classmethod
    def average(cls, value: float | None, *behind: int) -> Cell:
        """A mean or a median; hidden if any of the conversation counts `behind` is one or two."""
        if few(*behind):
            return cls(None, Kind.MEAN, hidden=True)
        return cls(value, Kind.MEAN)

    @property
    def text(self) -> str:
        """The cell as staff read it, in Swedish: "12", "34 %", "2,5", "< 3" or "–"."""
        if self.hidden:
            return HIDDEN_TEXT
        if self.value is None:
            return "–"
        if self.kind is Kind.SHARE:
            return f"{_half_up(self.value * 100, 0)}\u00a0%"
        if self.kind is Kind.MEAN:
            return f"{_half_up(self.value, 1)}".replace(".", ",")
        return str(int(self.value))

    def __str__(self) -> str:
        return self.text


def _half_up(value: float, digits: int) -> str:
    # As people round: 1.25 is 1,3 and 12.5 % is 13 %, not Python's round half to even.
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP))


def few(*conversations: int) -> bool:
    """True if any of these conversation counts is one or two: too few to show."""
    # None at all is no visitor to protect; one or two are.
    return any(0 < n < MIN_CONVERSATIONS for n in conversations)
