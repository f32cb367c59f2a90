"""Every text a visitor can read, in its three variants, for the checks and the bench.

Each source of texts (domain.yml's responses, the content files, the widget's and the
web app's own texts) lists its texts as TextSets; the suite checks that each set is
complete and faithful, and `make bench` reports its readability answer by answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.variants import Variant


@dataclass(frozen=True)
class TextSet:
    """One text in Swedish, English and lättläst Swedish; None where a variant is missing."""

    source: str  # e.g. "domain.yml", "content/checklist.yml", "widget"
    key: str  # e.g. "utter_greet", "questions.business"
    sv: str
    en: str | None
    lattlast: str | None

    def text(self, variant: Variant) -> str | None:
        """Return the text of one variant."""
        return {Variant.SV: self.sv, Variant.EN: self.en, Variant.LATTLAST: self.lattlast}[variant]
