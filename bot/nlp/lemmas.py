"""Build the Swedish lemma lookup table that the spaCy pipeline ships with.

Pure functions: the word forms come in as a mapping, so tests can use a small one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# Abbreviations visitors use, mapped to the lemma the training data spells out.
ABBREVIATIONS: Mapping[str, str] = {
    "af": "arbetsförmedlingen",
    "tvv": "tillväxtverket",
    "ab": "aktiebolag",
    "ek": "ekonomisk",
}

# Spellings without å/ä/ö that are rare words of their own but, in a chat about ASF,
# nearly always mean the word with diacritics ("vad ar", "nar", "stod till mitt asf").
PREFERRED_FOLDS: Mapping[str, str] = {
    "ar": "vara",
    "nar": "när",
    "for": "för",
    "manga": "många",
    "fa": "få",
    "ga": "gå",
    "stod": "stöd",
    "kop": "köpa",
}

_WORD = re.compile(r"[^\W\d_]+(?:[-:][^\W\d_]+)*", re.UNICODE)


def fold_diacritics(word: str) -> str:
    """Return the word as visitors type it without å, ä and ö ("företag" -> "foretag")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words_in(texts: Iterable[str]) -> set[str]:
    """Return the lowercased words of some texts."""
    return {match.group(0).lower() for text in texts for match in _WORD.finditer(text)}


def build_lemma_table(dictionary: Mapping[str, str], vocabulary: Iterable[str]) -> dict[str, str]:
    """Return a form -> lemma table covering every form of the vocabulary's lemmas.

    Only lemmas that occur in the training vocabulary are kept: a word whose lemma the
    classifier never saw adds no feature, so a larger table would cost memory and
    start-up time and change no prediction. Each form is also entered capitalised and
    without diacritics, unless that spelling is a Swedish word of its own ("får" folds
    to "far", which is a word, so "far" keeps its own lemma) and not one of the
    PREFERRED_FOLDS.
    """
    folded_forms = _folded_forms(dictionary)
    wanted = {
        fold_diacritics(dictionary.get(w) or folded_forms.get(w) or w).lower() for w in vocabulary
    }
    table = {
        form.lower(): lemma.lower()
        for form, lemma in dictionary.items()
        if fold_diacritics(lemma.lower()) in wanted
    }
    for folded, lemma in folded_forms.items():
        if fold_diacritics(lemma) in wanted:
            table.setdefault(folded, lemma)
    table.update(ABBREVIATIONS)
    table.update(PREFERRED_FOLDS)
    for form, lemma in list(table.items()):
        table.setdefault(form.capitalize(), lemma)
        table.setdefault(form.upper(), lemma)
    return table


def _folded_forms(dictionary: Mapping[str, str]) -> dict[str, str]:
    """Map each form typed without diacritics to its lemma, where no real word is spelled so."""
    folded_forms: dict[str, str] = {}
    for form, lemma in dictionary.items():
        folded = fold_diacritics(form).lower()
        if folded != form.lower() and folded not in dictionary:
            folded_forms.setdefault(folded, lemma.lower())
    return folded_forms


def add_english_forms(
    table: Mapping[str, str], dictionary: Mapping[str, str], vocabulary: Iterable[str]
) -> dict[str, str]:
    """Return the Swedish table with the English forms of the vocabulary's English lemmas.

    English visitors write "employees", "companies", "asked" where the training data may
    say "employee", "company", "ask"; with the English forms in the table they are one
    feature. A spelling the Swedish table already has keeps its Swedish lemma, so no
    Swedish word changes meaning, and an English lemma spelled like a Swedish form takes
    that form's lemma, so that all forms stay one feature ("test" is "testa" in the
    Swedish table, so "tests" is too). Lemmas are lowercased ("French" -> "french").
    """
    wanted = {(dictionary.get(word) or word).lower() for word in vocabulary}
    merged = dict(table)
    for form, lemma in dictionary.items():
        lemma = lemma.lower()
        if lemma in wanted:
            lemma = table.get(lemma, lemma)
            for spelling in (form.lower(), form.capitalize(), form.upper()):
                merged.setdefault(spelling, lemma)
    return merged
