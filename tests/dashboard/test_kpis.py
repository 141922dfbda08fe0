"""The overview's KPI rules: which quarter, and when a change is worth an arrow."""

from __future__ import annotations

from datetime import date

from dashboard import kpis
from pipelines.quarters import Quarter, Span
from pipelines.read import MIN_COMPARE

Q3 = Quarter(2026, 3)


def test_a_complete_quarter_with_enough_incidents_is_compared():
    c = kpis.compare(Q3, MIN_COMPARE, MIN_COMPARE + 4, today=date(2026, 10, 1))
    assert c.comparable and not c.partial
    assert kpis.explain(c, 5, 9) == "KPIs describe 2026Q3, the last complete quarter with incidents in view, against 2026Q2."


def test_too_few_incidents_are_not_compared_and_the_page_says_so():
    c = kpis.compare(Q3, 1, 12, today=date(2026, 10, 1))
    assert not c.comparable
    assert f"Too few incidents to compare (1 and 12; a comparison needs at least {MIN_COMPARE} in each quarter)" in kpis.explain(c, 1, 12)


def test_a_partial_quarter_is_never_compared():
    """Its drop is the calendar, not an improvement: no (green) delta."""
    c = kpis.compare(Q3, 40, 90, today=date(2026, 9, 30))
    assert c.partial and not c.comparable
    assert "runs until 2026-09-30" in kpis.explain(c, 40, 90)
    assert kpis.points_delta(30.0, 60.0, c) == (None, "normal")


def test_no_change_is_grey_not_a_green_arrow():
    c = kpis.compare(Q3, 10, 10, today=date(2026, 12, 1))
    assert kpis.points_delta(0.0, 0.0, c) == ("±0 pts", "off")
    assert kpis.points_delta(50.0, 40.0, c) == ("+10 pts", "normal")
    assert kpis.points_delta(None, 40.0, c) == (None, "normal")


def test_a_sparse_corpus_is_described_over_four_quarters():
    span = Span(Q3)
    c = kpis.compare(span, 7, 6, today=date(2026, 10, 1))
    assert c.comparable and str(c.previous) == "2024Q4–2025Q3"
    text = kpis.explain(c, 7, 6)
    assert text.startswith("KPIs describe the four quarters 2025Q4–2026Q3, against the four before (2024Q4–2025Q3)")
    assert f"fewer than {MIN_COMPARE} on its own" in text
    assert "period" in kpis.explain(kpis.compare(span, 2, 6, today=date(2026, 10, 1)), 2, 6)


def test_no_arrow_beside_no_change():
    assert kpis.arrow("off") == "off" and kpis.arrow("normal") == "auto"
