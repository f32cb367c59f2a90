"""The insight report's page, charts, names and period options."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from bot.domain.checklist import CRITERIA, Outcome, Verdict
from bot.insight.charts import charts_for
from bot.insight.figures import InsightData, Trigger, compute
from bot.insight.report import PeriodError, parse_period, render_report
from bot.insight.texts import load_texts
from bot.runtime.settings import PROJECT_ROOT
from tests.unit.test_insight_figures import PERIOD, fact, unclear

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)


def test_every_intent_criterion_trigger_and_outcome_has_a_swedish_name():
    texts = load_texts()
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) <= set(texts.intents)
    assert set(CRITERIA) == set(texts.criteria)
    assert {t.value for t in Trigger} == set(texts.triggers)
    assert {o.value for o in Outcome} == set(texts.outcomes)
    assert {v.value for v in Verdict} == set(texts.verdicts)


def test_since_takes_days_weeks_or_a_swedish_date_and_until_includes_its_day():
    assert parse_period("7d", None, NOW) == (NOW - timedelta(days=7), NOW)
    assert parse_period("2w", None, NOW)[0] == NOW - timedelta(days=14)
    start, end = parse_period("2026-11-01", "2026-11-30", NOW)
    # Midnight in Stockholm (UTC+1 in winter), to the end of 30 November.
    assert start == datetime(2026, 10, 31, 23, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)
    with pytest.raises(PeriodError):
        parse_period("förra veckan", None, NOW)
    with pytest.raises(PeriodError):
        parse_period("2026-12-01", "2026-11-01", NOW)


def sample():
    convs = []
    for ref in "abcd":
        convs += fact(ref, "contact")
    convs += unclear("e", ["kan jag få bidrag till hyran"]) + unclear("f", ["bidrag hyra"])
    convs += unclear("g", ["bidrag till hyran?"]) + unclear("h", ["min hemliga fråga"])
    return compute(PERIOD, InsightData(conversations=convs), now=NOW)


def test_the_report_is_one_swedish_page_that_requests_nothing():
    html = render_report(sample())
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="sv">' in html
    # No address to fetch anything from: charts are data: URIs, the CSS inline.
    assert re.findall(r'(?:src|href)="(?!data:)[^"]*"', html) == []
    assert "<link" not in html and "<script" not in html
    assert html.count('<img src="data:image/svg+xml;base64,') == 4
    assert "Period: 30 november–2 december 2026." in html
    assert '<th scope="row">Kontakt</th><td class="num">4</td>' in html


def test_the_report_shows_a_large_groups_examples_but_no_single_visitors_text():
    html = render_report(sample())
    assert "kan jag få bidrag till hyran" in html
    assert "min hemliga fråga" not in html


def test_every_chart_has_a_title_a_text_alternative_and_png_bytes_for_mail():
    charts = charts_for(sample())
    assert [c.name for c in charts] == [
        "messages_per_day",
        "fallback_rate",
        "topics",
        "checklist_funnel",
    ]
    for chart in charts:
        assert chart.title and len(chart.description) > 30
        assert chart.png().startswith(b"\x89PNG")
    assert "Kontakt (4)" in charts[2].description
    # The same figures draw the same SVG.
    assert charts[0].svg() == charts_for(sample())[0].svg()
