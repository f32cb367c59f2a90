"""The readability report: LIX per text and variant, and the issue's two targets."""

from __future__ import annotations

from bench.readability import all_text_sets, markdown, rows, summarise
from bot.services.texts import TextSet

STANDARD = (
    "Arbetsintegrerande sociala företag återinvesterar huvudsakligen sina vinster "
    "i verksamheten och tillhandahåller arbetsträning till offentliga aktörer."
)
EASY = "Du får ett jobb.\nDu lär dig ett arbete.\nVinsten stannar här."


def text_set(key: str, sv: str, lattlast: str | None, en: str | None = "Hello there.") -> TextSet:
    return TextSet(source="test", key=key, sv=sv, en=en, lattlast=lattlast)


def test_an_easy_text_passes_both_targets():
    summary = summarise(rows([text_set("answer", STANDARD, EASY)]))

    assert summary.lattlast <= 30
    assert summary.gap >= 15
    assert summary.passes


def test_a_lattlast_text_as_hard_as_the_standard_one_fails():
    summary = summarise(rows([text_set("answer", STANDARD, STANDARD)]))

    assert [row.key for row in summary.over_limit] == ["answer"]
    assert not summary.passes
    assert "**FAIL**" in markdown(rows([text_set("answer", STANDARD, STANDARD)]))


def test_a_missing_variant_fails_and_is_named_in_the_report():
    all_rows = rows([text_set("answer", STANDARD, None)])

    assert not summarise(all_rows).passes
    assert "| test | `answer` |" in markdown(all_rows)
    assert "missing" in markdown(all_rows)


def test_labels_count_in_the_limit_but_not_in_the_average():
    label = text_set("button", "Ja", "Ja")
    summary = summarise(rows([text_set("answer", STANDARD, EASY), label]))

    assert summary.texts == 2
    assert summary.prose == 1


def test_the_report_lists_every_text_the_visitor_can_read():
    text_sets = all_text_sets()
    report = markdown(rows(text_sets))

    assert {text_set.source for text_set in text_sets} >= {"domain.yml", "widget"}
    for text_set in text_sets:
        assert f"`{text_set.key}`" in report


def test_the_shipped_texts_meet_both_targets():
    summary = summarise(rows(all_text_sets()))

    assert not summary.missing, [row.key for row in summary.missing]
    assert not summary.over_limit, [(row.key, row.lattlast) for row in summary.over_limit]
    assert summary.gap >= 15, f"{summary.sv:.1f} → {summary.lattlast:.1f}"
