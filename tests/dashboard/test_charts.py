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
        "ranked": charts.ranked_bars(q.top_services(con, today=TODAY), category="service", value="incidents", title="Top services",
                                     category_title="Service", value_title="Incidents (count)"),
        "by_group": charts.incidents_by_group(q.incidents_by_dimension(con, dimension="service"), dimension="service"),
        "ttr": charts.duration_distribution(points, summary, metric="Time to resolve"),
        "heatmap": charts.mode_heatmap(q.failure_mode_quarters(con)),
        "modes": charts.ranked_bars(q.top_failure_modes(con, today=TODAY), category="name", value="incidents", title="Most frequent failure modes",
                                    category_title="Failure mode", value_title="Incidents (count)"),
        "completion": charts.completion(q.action_completion(con, by="team"), by="team"),
        "completion_quarter": charts.completion(q.action_completion(con, by="quarter"), by="quarter"),
        "overdue": charts.overdue_age(q.overdue_items(con, today=TODAY)),
        "timeline": charts.timeline(q.incident_timeline(con, incident_id="INC-1")),
        "completeness": charts.completeness_by_quarter(q.completeness_scores(con), complete_at=80),
        "lint": charts.lint_rules(q.lint_rule_counts(con)),
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
        lambda df: charts.mode_heatmap(df),
        lambda df: charts.completion(df, by="team"),
        lambda df: charts.overdue_age(df),
        lambda df: charts.timeline(df),
        lambda df: charts.completeness_by_quarter(df, complete_at=80),
        lambda df: charts.lint_rules(df),
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


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def test_groups_get_clearly_different_colours():
    """Streamlit's default palette pairs dark and light shades of one hue: two teams looked alike."""
    groups = [f"team{i}" for i in range(7)] + ["(other teams)"]
    df = pd.DataFrame({"quarter": ["2026Q1"] * 8, "group": groups, "incidents": list(range(8, 0, -1))})
    scale = _spec(charts.incidents_by_group(df, dimension="team"))["layer"][0]["encoding"]["color"]["scale"]
    colors = dict(zip(scale["domain"], scale["range"]))
    assert set(colors) == set(groups)
    named = [_rgb(colors[g]) for g in groups[:-1]]
    closest = min(sum((a - b) ** 2 for a, b in zip(c1, c2)) ** 0.5 for i, c1 in enumerate(named) for c2 in named[i + 1 :])
    assert closest > 60, closest
    assert len(set(colors.values())) == len(groups)


def _x_types(spec: dict) -> set[str]:
    return {node["encoding"]["x"]["type"] for node in _walk(spec)
            if isinstance(node.get("encoding"), dict) and isinstance(node["encoding"].get("x"), dict) and "type" in node["encoding"]["x"]}


@pytest.mark.parametrize("name", ["by_group", "ttr", "heatmap", "completeness", "lint", "completion_quarter"])
def test_quarter_axes_are_time_scales(con, name):
    """Empty quarters must take room (or show 0), not vanish: 1628Q3 and 1990Q1 are not neighbours."""
    assert _x_types(_spec(_charts(con)[name])) == {"temporal"}


def test_quarters_centuries_apart_sit_centuries_apart():
    df = pd.DataFrame({"quarter": ["1628Q3", "1990Q1", "1990Q2"], "group": ["a"] * 3, "incidents": [1, 2, 3]})
    data = _spec(charts.incidents_by_group(df, dimension="team"))
    rows = next(iter(data["datasets"].values()))
    starts = sorted(r["q_start"] for r in rows)
    assert starts == ["1628-07-01", "1990-01-01", "1990-04-01"]
    assert "Q" not in str(data["layer"][0]["encoding"]["x"]["axis"].get("format", ""))  # years, not a label per quarter


def _summary(quarters: list[str], n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = pd.DataFrame({"quarter": quarters, "metric": "Time to resolve", "n": n, "p25": 1.0, "median": 2.0, "p75": 3.0,
                            "p90": 4.0, "max": 5.0, "small_sample": n < 5})
    points = pd.DataFrame({"quarter": quarters, "metric": "Time to resolve", "hours": 2.0})
    return points, summary


def _texts(spec: dict) -> list[dict]:
    return [node for node in _walk(spec) if node.get("mark") in ("text", {"type": "text"}) or (isinstance(node.get("mark"), dict) and node["mark"].get("type") == "text")]


def test_n_labels_never_run_together():
    few = [f"2025Q{i}" for i in range(1, 5)]
    many = [f"{y}Q{i}" for y in range(2000, 2020) for i in range(1, 5)]
    assert _texts(_spec(charts.duration_distribution(*_summary(few), metric="Time to resolve")))
    assert not _texts(_spec(charts.duration_distribution(*_summary(many), metric="Time to resolve")))  # n only in tooltips


def test_small_samples_are_drawn_faint_not_listed():
    spec = _spec(charts.duration_distribution(*_summary(["2025Q1", "2025Q2"], n=2), metric="Time to resolve"))
    assert "faint" in spec["title"]["text"] if isinstance(spec["title"], dict) else "faint" in spec["title"]
    assert any(r.get("enough") is False for rows_ in spec["datasets"].values() for r in rows_ if "enough" in r)


def test_the_quarter_in_progress_is_shaded():
    df = pd.DataFrame({"quarter": ["2026Q2", "2026Q3"], "group": ["a", "a"], "incidents": [4, 1]})
    done = _spec(charts.incidents_by_group(df, dimension="team", today=pd.Timestamp("2026-10-02").date()))
    running = _spec(charts.incidents_by_group(df, dimension="team", today=pd.Timestamp("2026-09-30").date()))
    assert len(running["layer"]) == len(done["layer"]) + 1
    band = next(iter(v for k, v in running["datasets"].items() if any("note" in r for r in v)))
    assert band[0]["q_start"] == "2026-07-01" and "in progress" in band[0]["note"]


def test_heatmap_has_no_rotated_y_title_over_its_labels(con):
    for name in ("heatmap",):
        ys = [node["encoding"]["y"] for node in _walk(_spec(_charts(con)[name]))
              if isinstance(node.get("encoding"), dict) and isinstance(node["encoding"].get("y"), dict)]
        assert ys and all(y.get("title") is None for y in ys), name


def test_long_ranges_bin_by_quarter_short_ones_by_month():
    months = pd.date_range("2015-01-01", "2025-12-01", freq="MS")
    df = pd.DataFrame({"month": months, "severity": "unknown", "incidents": 1})
    long, short = _spec(charts.incidents_per_month(df)), _spec(charts.incidents_per_month(df.tail(24)))
    assert long["encoding"]["x"]["timeUnit"] == "utcyearquarter" and "quarter" in long["title"]
    assert short["encoding"]["x"]["timeUnit"] == "utcyearmonth" and "month" in short["title"]
    assert long["encoding"]["color"]["scale"]["domain"] == ["unknown"]  # no legend entries for severities never stated


def test_ranked_bars_show_shares_when_groups_overlap():
    df = pd.DataFrame({"theme": ["a", "b", "c"], "incidents": [15, 12, 10]})  # 37 memberships, 20 incidents
    spec = _spec(charts.ranked_bars(df, category="theme", value="incidents", title="t", category_title="Theme",
                                    value_title="Incidents (count)", total=20, share_title="share of 2026Q3's 20 incidents (%)"))
    assert spec["encoding"]["x"]["field"] == "share" and "share of" in spec["encoding"]["x"]["title"]
    rows = next(iter(spec["datasets"].values()))
    assert [r["share"] for r in rows] == [75.0, 60.0, 50.0]


def test_timeline_without_placed_events_is_empty():
    df = pd.DataFrame({"seq": [0], "at": [pd.NaT], "raw_time": ["later"], "text": ["unplaced"]})
    assert charts.timeline(df) is None


def test_human_hours():
    assert charts.human_hours(0.25) == "15 min"
    assert charts.human_hours(3.5) == "3.5 h"
    assert charts.human_hours(72) == "3.0 days"
    assert charts.human_hours(float("nan")) == "–"


def test_bars_over_a_quarter_are_stacked_not_drawn_as_slivers():
    """Vega-Lite draws bars with x and x2 as thin horizontal bars unless they carry their own y/y2."""
    df = pd.DataFrame({"quarter": ["2026Q1", "2026Q1", "2026Q2"], "rule": ["a", "b", "a"], "severity": "warning",
                       "findings": [3, 2, 4], "incidents": [1, 1, 1]})
    spec = _spec(charts.lint_rules(df))
    assert spec["encoding"]["y"]["field"] == "y0" and spec["encoding"]["y2"]["field"] == "y1"
    rows = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert rows.groupby("quarter")["y1"].max().to_dict() == {"2026Q1": 5, "2026Q2": 4}
    assert (rows["y1"] - rows["y0"] == rows["findings"]).all()


def test_a_quarter_axis_labels_its_first_quarter_and_not_the_end_of_the_last():
    df = pd.DataFrame({"quarter": ["2025Q4", "2026Q1"], "group": ["a", "a"], "incidents": [1, 2]})
    x = _spec(charts.incidents_by_group(df, dimension="team"))["layer"][0]["encoding"]["x"]
    assert [v["year"] * 100 + v["month"] for v in x["axis"]["values"]] == [202510, 202601]
    assert x["scale"]["domain"][0]["month"] == 10 and x["scale"]["domain"][1]["month"] == 4
    assert x["axis"]["format"] == "%YQ%q"  # "2025Q4", as the filters, captions and review write quarters


def test_mode_heatmap_has_one_row_per_mode_and_the_counts(con):
    spec = _spec(charts.mode_heatmap(q.failure_mode_quarters(con)))
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert {(r.name, r.quarter): r.incidents for r in data.itertuples()} == {
        ("Resource or quota exhaustion", "2026Q2"): 2, ("Resource or quota exhaustion", "2026Q3"): 1,
        ("Traffic overload", "2026Q3"): 2, ("Code change shipped a bug", "2026Q2"): 1,
    }


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


def test_a_long_zero_run_is_drawn_from_its_ends_only():
    quarters = [f"{y}Q{q}" for y in range(2000, 2010) for q in range(1, 5)]
    counts = [0] * len(quarters)
    counts[0], counts[-1] = 2, 1
    df = pd.DataFrame({"quarter": quarters, "group": "api", "incidents": counts})
    kept = charts._without_inner_zeros(df)
    # the two counts and the zeros next to them: the line still drops to 0 and comes back up
    assert kept["quarter"].tolist() == ["2000Q1", "2000Q2", "2009Q3", "2009Q4"]
    assert kept["incidents"].tolist() == [2, 0, 0, 1]
    spec = charts.incidents_by_group(df, dimension="service").to_dict()
    assert spec["layer"][0]["mark"]["type"] == "line"
