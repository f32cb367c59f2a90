"""The report's charts (matplotlib), as SVG for the page or PNG for a mail.

Each chart comes with its title and a text alternative that says what it shows; the
report puts the numbers in a table beside it. A hidden cell ("< 3") has no bar or point.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.insight.cells import HIDDEN_TEXT, Cell
from bot.insight.figures import Figures
from bot.insight.texts import InsightTexts, load_texts

# Dark enough on white for text and bars alike (contrast above 7:1).
INK = "#1b1b1b"
BAR = "#1f4e79"
LINE = "#8a3b12"
TOP_TOPICS = 10
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # The same SVG for the same figures: no random ids, no date.
    "svg.hashsalt": "asf-insight",
    "svg.fonttype": "path",
}


@dataclass(frozen=True)
class Chart:
    """One chart: its name, its title, its text alternative, and how to draw it."""

    name: str
    title: str
    description: str
    draw: Callable[[Axes], None]
    size: tuple[float, float] = (7.0, 3.2)

    def _figure(self) -> Figure:
        figure = Figure(figsize=self.size, layout="tight")
        self.draw(figure.add_subplot())
        return figure

    def svg(self) -> bytes:
        """The chart as an SVG document."""
        with rc_context(_STYLE):
            buffer = io.BytesIO()
            self._figure().savefig(buffer, format="svg", metadata={"Date": None})
            return buffer.getvalue()

    def png(self, dpi: int = 110) -> bytes:
        """The chart as a PNG image (for a mail)."""
        with rc_context(_STYLE):
            buffer = io.BytesIO()
            self._figure().savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
            return buffer.getvalue()


def _value(cell: Cell) -> float:
    return 0.0 if cell.value is None else float(cell.value)


def _bars(axes: Axes, labels: list[str], cells: list[Cell], horizontal: bool = False) -> None:
    """Bars with their numbers; a hidden cell gets no bar, only "< 3"."""
    values = [_value(c) for c in cells]
    positions = range(len(labels))
    if horizontal:
        axes.barh(positions, values, color=BAR)
        axes.set_yticks(list(positions), labels)
        axes.invert_yaxis()
        for y, cell in zip(positions, cells, strict=True):
            axes.annotate(
                cell.text, (_value(cell), y), xytext=(3, 0), textcoords="offset points", va="center"
            )
        axes.set_xlim(0, max([*values, 1]) * 1.15)
    else:
        axes.bar(positions, values, color=BAR)
        slanted = len(labels) > 8
        axes.set_xticks(
            list(positions),
            labels,
            rotation=45 if slanted else 0,
            ha="right" if slanted else "center",
        )
        for x, cell in zip(positions, cells, strict=True):
            axes.annotate(
                cell.text, (x, _value(cell)), xytext=(0, 2), textcoords="offset points", ha="center"
            )
        axes.set_ylim(0, max([*values, 1]) * 1.2)


def _day(day) -> str:
    return f"{day.day}/{day.month}"


def messages_per_day(figures: Figures) -> Chart:
    """Messages per day, of the conversations that began that day."""
    days = figures.days
    shown = [d for d in days if not d.messages.hidden]
    most = max(shown, key=lambda d: _value(d.messages), default=None)
    description = f"Stapeldiagram över antal meddelanden per dag, {len(days)} dagar."
    if most is not None and _value(most.messages):
        description += f" Flest meddelanden kom {_day(most.day)}: {most.messages.text}."
    if len(shown) < len(days):
        description += f" Dagar med färre än 3 samtal visas som ”{HIDDEN_TEXT}” utan stapel."
    return Chart(
        "messages_per_day",
        "Meddelanden per dag",
        description,
        lambda axes: _bars(axes, [_day(d.day) for d in days], [d.messages for d in days]),
    )


def topics(figures: Figures, texts: InsightTexts | None = None) -> Chart:
    """The most asked topics."""
    texts = texts or load_texts()
    ranked = [t for t in figures.topics if not t.messages.hidden][:TOP_TOPICS]
    names = [texts.intent(t.intent) for t in ranked]
    listed = ", ".join(f"{n} ({t.messages.text})" for n, t in zip(names, ranked, strict=True))
    description = "Inga ämnen från minst 3 samtal under perioden."
    if ranked:
        description = (
            f"Liggande stapeldiagram över de {len(ranked)} vanligaste ämnena, "
            f"antal meddelanden: {listed}."
        )
    return Chart(
        "topics",
        "Vanligaste ämnena",
        description,
        lambda axes: _bars(axes, names, [t.messages for t in ranked], horizontal=True),
        size=(7.0, 0.4 * max(len(ranked), 3) + 0.8),
    )


def fallback_rate(figures: Figures) -> Chart:
    """The share of messages not understood, per day."""
    days = figures.days

    def draw(axes: Axes) -> None:
        values = [
            float("nan") if d.fallback_share.value is None else d.fallback_share.value * 100
            for d in days
        ]
        axes.plot(range(len(days)), values, color=LINE, marker="o")
        labels = [_day(d.day) for d in days]
        axes.set_xticks(range(len(days)), labels, rotation=45 if len(days) > 8 else 0)
        axes.set_ylim(0, 100)
        axes.set_ylabel("Procent av meddelandena")

    shown = [d for d in days if d.fallback_share.value is not None]
    description = "Linjediagram över andelen meddelanden som boten inte förstod, per dag."
    if shown:
        high = max(shown, key=lambda d: d.fallback_share.value)
        description += f" Högst var andelen {_day(high.day)}: {high.fallback_share.text}."
    if len(shown) < len(days):
        description += " Dagar med färre än 3 samtal saknar punkt."
    return Chart("fallback_rate", "Andel meddelanden som boten inte förstod", description, draw)


def checklist_funnel(figures: Figures, texts: InsightTexts | None = None) -> Chart:
    """How far visitors came in the checklist."""
    steps = funnel_steps(figures)
    listed = ", ".join(f"{label}: {cell.text}" for label, cell in steps)
    return Chart(
        "checklist_funnel",
        "Checklistan steg för steg",
        f"Liggande stapeldiagram över hur många samtal som kom till varje steg i checklistan. "
        f"{listed}.",
        lambda axes: _bars(axes, [s[0] for s in steps], [s[1] for s in steps], horizontal=True),
        size=(7.0, 3.6),
    )


def funnel_steps(figures: Figures) -> list[tuple[str, Cell]]:
    """The checklist's steps as the funnel and its table show them."""
    checklist = figures.checklist
    steps = [("Började", checklist.started)]
    steps += [(f"Fråga {n}", cell) for n, (_, cell) in enumerate(checklist.reached, start=1)]
    return [*steps, ("Fick resultat", checklist.completed)]


def charts_for(figures: Figures, texts: InsightTexts | None = None) -> tuple[Chart, ...]:
    """The report's charts, in its order."""
    return (
        messages_per_day(figures),
        fallback_rate(figures),
        topics(figures, texts),
        checklist_funnel(figures, texts),
    )
