"""Build the Swedish spaCy pipeline that Rasa's SpacyNLP loads.

No trained Swedish spaCy pipeline can be downloaded here, so the pipeline is
`spacy.blank("sv")` plus a lookup lemmatizer whose table comes from simplemma's
Swedish dictionary (more accurate than spacy-lookups-data's Swedish table), with the
English forms from simplemma's English dictionary that the Swedish one lacks, for the
English training data (data/nlu/en_*.yml).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.nlp.lemmas import add_english_forms, build_lemma_table, words_in

logger = logging.getLogger(__name__)

PIPELINE_NAME = "sv_asf"


def simplemma_dictionary(language: str = "sv") -> Mapping[str, str]:
    """Return simplemma's form -> lemma dictionary for a language (Swedish by default)."""
    from simplemma.strategies.dictionaries.dictionary_factory import (
        DefaultDictionaryFactory,
    )

    return DefaultDictionaryFactory().get_dictionary(language)


def training_texts(paths: Iterable[Path]) -> list[str]:
    """Return every NLU example text found under the given files or folders."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts: list[str] = []
    for path in paths:
        data = load_data(str(path), language="sv")
        texts.extend(example.get("text") for example in data.training_examples)
    return texts


def build_pipeline(table: Mapping[str, str]):
    """Return a blank Swedish spaCy pipeline with a lookup lemmatizer over `table`."""
    import spacy
    from spacy.lookups import Lookups

    nlp = spacy.blank("sv")
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = "Blank Swedish tokenizer with simplemma's Swedish and English lemmas"
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    lookups = Lookups()
    lookups.add_table("lemma_lookup", dict(table))
    lemmatizer.lookups = lookups
    return nlp


def build(data_paths: Iterable[Path], output: Path) -> int:
    """Build the pipeline for the vocabulary of `data_paths` into `output`; return its size."""
    texts = training_texts(data_paths)
    vocabulary = words_in(texts)
    table = build_lemma_table(simplemma_dictionary(), vocabulary)
    table = add_english_forms(table, simplemma_dictionary("en"), vocabulary)
    nlp = build_pipeline(table)
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    logger.info("Built %s with %d lemma forms into %s", PIPELINE_NAME, len(table), output)
    return len(table)


def main(argv: list[str] | None = None) -> None:
    """Command line: build the pipeline from the NLU training data."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, nargs="+", default=[Path("data/nlu")])
    parser.add_argument("--output", type=Path, default=Path("build") / PIPELINE_NAME)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.data, args.output)


if __name__ == "__main__":
    main()
