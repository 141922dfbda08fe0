"""Chart builders: pure DataFrame -> Altair, with titles, axis titles, tooltips, severity colours and empty states."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from dashboard import charts
from pipelines import read as q
from tests.dashboard.conftest import TODAY


def _spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()


def _walk(spec: object):
    if isinstance(spec, dict):
        yield spec
        for v in spec.values():
            yield from _walk(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from _walk(v)


def _titles(spec: dict) -> list[str]:
    t = spec.get("title")
    return [t if isinstance(t, str) else (t or {}).get("text", "")]


def _axis_titles(spec: dict) -> list[str]:
    return [enc["title"] for node in _walk(spec) for ch, enc in (node.get("encoding") or {}).items()
            if ch in ("x", "y", "color") and isinstance(enc, dict) and enc.get("title")]


def _has_tooltip(spec: dict) -> bool:
    return any("tooltip" in (node.get("encoding") or {}) for node in _walk(spec))


def _charts(con):
    """Every chart builder fed by its real query on the fixture DB."""
    points, summary = q.durations(con), q.duration_summary(con)
    return {
        "per_month": charts.incidents_per_month(q.incidents_per_month(con)),
        "ranked": charts.ranked_bars(q.top_services(con), category="service", value="incidents", title="Top services",
                                     category_title="Service", value_title="Incidents (count)"),
        "by_group": charts.incidents_by_group(q.incidents_by_dimension(con, dimension="service"), dimension="service"),
        "ttr": charts.duration_distribution(points, summary, metric="Time to resolve"),
        "heatmap": charts.theme_heatmap(q.theme_quarters(con)),
        "theme_services": charts.theme_services(q.theme_services(con)),
        "completion": charts.completion(q.action_completion(con, by="team"), by="team"),
        "overdue": charts.overdue_age(q.overdue_items(con, today=TODAY)),
        "timeline": charts.timeline(q.incident_timeline(con, incident_id="INC-1")),
        "completeness": charts.completeness_by_quarter(q.completeness_scores(con), complete_at=80),
        "lint": charts.lint_rules(q.lint_rule_counts(con)),
        "categories": charts.category_breakdown(q.factor_categories(con)),
        "provenance": charts.field_provenance(q.field_provenance(con)),
    }


def test_every_chart_has_title_axis_titles_and_tooltips(con):
    for name, chart in _charts(con).items():
        assert chart is not None, name
        spec = _spec(chart)
        assert any(_titles(spec)), f"{name}: no title"
        axis_titles = _axis_titles(spec)
        assert len(axis_titles) >= 1, f"{name}: no axis titles"
        assert _has_tooltip(spec), f"{name}: no tooltips"


def test_quantity_axes_name_their_unit(con):
    for name, chart in _charts(con).items():
        titles = _axis_titles(_spec(chart))
        assert any("(" in t for t in titles), f"{name}: no unit in {titles}"


@pytest.mark.parametrize(
    "build",
    [
        lambda df: charts.incidents_per_month(df),
        lambda df: charts.ranked_bars(df, category="a", value="b", title="t", category_title="A", value_title="B (count)"),
        lambda df: charts.incidents_by_group(df, dimension="team"),
        lambda df: charts.duration_distribution(df, df, metric="Time to resolve"),
        lambda df: charts.theme_heatmap(df),
        lambda df: charts.theme_services(df),
        lambda df: charts.completion(df, by="team"),
        lambda df: charts.overdue_age(df),
        lambda df: charts.timeline(df),
        lambda df: charts.completeness_by_quarter(df, complete_at=80),
        lambda df: charts.lint_rules(df),
        lambda df: charts.category_breakdown(df),
        lambda df: charts.field_provenance(df),
    ],
)
def test_empty_data_gives_no_chart(build):
    assert build(pd.DataFrame()) is None


def test_severity_colours_run_from_dark_red_to_calm(con):
    spec = _spec(charts.incidents_per_month(q.incidents_per_month(con)))
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"][:4] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    r, g, b = (int(scale["range"][0][i : i + 2], 16) for i in (1, 3, 5))
    assert r > 100 and g < 40 and b < 40  # SEV1 dark red
    r4, g4, b4 = (int(scale["range"][3][i : i + 2], 16) for i in (1, 3, 5))
    assert b4 > r4  # SEV4 a calm blue, not another red


def test_many_groups_fold_into_other():
    df = pd.DataFrame({"quarter": ["2026Q1"] * 12, "group": [f"svc{i:02d}" for i in range(12)], "incidents": list(range(12, 0, -1))})
    data = pd.DataFrame(_spec(charts.incidents_by_group(df, dimension="service"))["datasets"].popitem()[1])
    assert data["group"].nunique() == charts.MAX_GROUPS
    assert data.loc[data.group == "other", "incidents"].item() == sum(range(1, 6))


def test_timeline_without_placed_events_is_empty():
    df = pd.DataFrame({"seq": [0], "at": [pd.NaT], "raw_time": ["later"], "text": ["unplaced"]})
    assert charts.timeline(df) is None


def test_human_hours():
    assert charts.human_hours(0.25) == "15 min"
    assert charts.human_hours(3.5) == "3.5 h"
    assert charts.human_hours(72) == "3.0 days"
    assert charts.human_hours(float("nan")) == "–"


def test_field_provenance_stacks_stated_inferred_missing_per_field(con):
    chart = charts.field_provenance(q.field_provenance(con))
    spec = _spec(chart)
    assert spec["encoding"]["color"]["scale"]["domain"] == ["stated", "inferred", "missing"]
    assert spec["encoding"]["y"]["sort"] == ["Severity", "Impact start", "Detection", "Resolution", "Services", "Team"]
    rows = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert rows[rows.label == "Team"].set_index("provenance").share.round(3).to_dict() == {"stated": 0.5, "inferred": 0.5, "missing": 0.0}
    # incidents in scope but no field_sources at all (a database built before provenance): all missing, still a chart
    empty = q.field_provenance(con).assign(incidents=0)
    assert charts.field_provenance(empty) is None
