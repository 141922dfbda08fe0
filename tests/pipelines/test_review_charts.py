from __future__ import annotations

import duckdb
import pytest

from pipelines.report.review import Quarter, build_review
from pipelines.report.charts import duration_chart, review_charts, severity_chart, themes_chart
from tests.pipelines.review_db import AS_OF, make_review_db


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    path = make_review_db(tmp_path_factory.mktemp("charts") / "r.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        return build_review(con, Quarter(2026, 3), as_of=AS_OF), build_review(con, Quarter(2025, 1), as_of=AS_OF)


def _values(chart) -> list[dict]:
    spec = chart.to_dict()
    (rows,) = spec["datasets"].values()
    return rows


def test_severity_chart_has_both_quarters_and_unknown(reviews):
    chart = severity_chart(reviews[0])
    rows = {(r["quarter"], r["severity"]): r["incidents"] for r in _values(chart)}
    assert rows[("2026Q3", "SEV3")] == 2 and rows[("2026Q2", "SEV2")] == 1
    assert rows[("2026Q3", "unknown")] == 1
    spec = chart.to_dict()
    assert spec["title"] and spec["encoding"]["y"]["title"] == "Incidents (count)"


def test_duration_chart_carries_percentiles_not_raw_values(reviews):
    rows = {r["quarter"]: r for r in _values(duration_chart(reviews[0], "resolve"))}
    cur = rows["2026Q3"]  # resolve 30, 60, 120, 600 minutes
    assert cur["n"] == 4
    assert cur["median"] == pytest.approx(1.5)  # hours
    assert cur["p90"] == pytest.approx(456 / 60)
    assert cur["q1"] <= cur["median"] <= cur["q3"] <= cur["p95"]
    assert len(rows) == 2
    # A fixed pixel height left no room for the plot under the title in Streamlit (seen in a browser).
    assert duration_chart(reviews[0], "resolve").to_dict()["height"] == {"step": 36}


def test_themes_chart_marks_new_themes(reviews):
    names = {r["theme"] for r in _values(themes_chart(reviews[0]))}
    assert "config drift (new)" in names and "retry storms" in names


def test_empty_quarter_draws_nothing(reviews):
    empty = reviews[1]
    assert duration_chart(empty, "resolve") is None
    assert themes_chart(empty) is None
    assert severity_chart(empty) is None
    assert review_charts(empty) == []
    assert [name for name, _ in review_charts(reviews[0])] == ["severity", "resolve", "detect", "themes"]
