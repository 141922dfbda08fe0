"""Follow-through from the tracker (issue 13) on the dashboard fixture after a tracker sync
(tests/dashboard/conftest.py, `tracked_db`): the read queries with hand-computed answers, the
charts, and the Action items, Data quality, Repeats and Quarterly review pages under AppTest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import charts
from pipelines import read as q
from tests.dashboard.conftest import SECRET_OWNER, SECRET_TITLE, TODAY

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


# ------------------------------------------------------------------ read queries


def test_time_to_close_per_quarter_team_and_priority(tracked_con):
    by_q = q.time_to_close(tracked_con, by="quarter")
    assert by_q.values.tolist() == [["2025Q4", 1, 39.0, 39.0], ["2026Q2", 2, 19.0, 27.8], ["2026Q3", 1, 14.0, 14.0]]
    by_team = q.time_to_close(tracked_con, by="team").set_index("group")
    assert by_team.n.to_dict() == {"infra": 1, "payments": 2, "search": 1}
    by_priority = q.time_to_close(tracked_con, by="priority").set_index("group")
    assert by_priority.n.to_dict() == {"High": 2, "Medium": 1, "P3": 1}  # the tracker's priority, else the document's
    with pytest.raises(ValueError):
        q.time_to_close(tracked_con, by="owner")  # never per person


def test_time_to_close_follows_the_filters(tracked_con):
    assert q.time_to_close(tracked_con, q.Filters(teams=("search",))).values.tolist() == [["2026Q3", 1, 14.0, 14.0]]


def test_ageing_of_open_items(tracked_con):
    aged = q.open_item_ageing(tracked_con, today=TODAY)
    assert sorted(aged.values.tolist()) == [["30-90 days", "payments", 1], ["90-180 days", "payments", 1]]


def test_postmortem_and_tracker_disagreements(tracked_con):
    d = q.status_disagreements(tracked_con)
    assert d[["ticket", "doc_status", "tracker_status", "disagreement"]].fillna("-").values.tolist() == [
        ["PAY-3", "done", "open", q.DOC_DONE_TRACKER_OPEN],
        ["#7", "open", "done", q.TRACKER_DONE_DOC_OPEN],
        ["PAY-2", "open", "done", q.TRACKER_DONE_DOC_OPEN],
        ["-", "open", "in_progress", "other"],  # INC-4, restricted: listed without its text or ticket
    ]
    assert d["item"].tolist()[-1] == "restricted incident" and SECRET_TITLE not in d.to_string()


def test_completion_uses_the_effective_status(tracked_con):
    quarters = q.action_completion(tracked_con, by="quarter").set_index("group")
    assert quarters.loc["2026Q2", ["items", "done", "open"]].tolist() == [3, 2, 1]  # PAY-2 done, PAY-3 open


def test_fuzzy_matches_and_unreferenced_records(tracked_con):
    fuzzy = q.fuzzy_matches(tracked_con)
    assert fuzzy[["item", "record", "record_title"]].values.tolist() == [["Document reindex runbook", "#7", "Write the reindex runbook"]]
    unref = q.unreferenced_records(tracked_con)
    assert unref[["key", "title", "status"]].values.tolist() == [["#8", "Upgrade the search cluster", "open"]]
    t = q.tracker_totals(tracked_con).iloc[0]
    assert (t.records, t.unreferenced, t["items"], t.matched, t.fuzzy, t.disagree, t.closed_known) == (7, 1, 6, 6, 1, 4, 4)


def test_recurred_after_fix_dates_the_fix_by_closed_at(tracked_con):
    rows = q.recurrence_rows(tracked_con)
    fixed = {r.incident_id: (r.fixed_incident_id, pd.Timestamp(r.fixed_at)) for r in rows.itertuples()}
    # INC-1's last item was due 2026-05-01 but closed 2026-05-11: the close time counts. INC-2's item
    # is open in the tracker, so nothing recurs after INC-2 any more; INC-3's runbook (matched by
    # title) was closed 07-20, before INC-5.
    assert fixed == {
        "INC-2": ("INC-1", pd.Timestamp("2026-05-11")),
        "INC-4": ("INC-1", pd.Timestamp("2026-05-11")),
        "INC-5": ("INC-3", pd.Timestamp("2026-07-20")),
    }


def test_followup_list_is_per_team_overdue_first_and_hides_restricted_items(tracked_con):
    f = q.followup_items(tracked_con, today=TODAY)
    assert f[["team", "status", "overdue", "days_overdue"]].values.tolist() == [
        ["payments", "open", True, 121], ["payments", "in_progress", True, 60],
    ]
    assert f["item"].tolist()[1] == "restricted incident" and SECRET_OWNER not in f.to_string()


# ------------------------------------------------------------------ charts


def test_time_to_close_chart_marks_small_samples_and_names_n(tracked_con):
    chart = charts.time_to_close(q.time_to_close(tracked_con, by="quarter"), by="quarter", min_sample=2)
    spec = chart.to_dict()
    data = next(iter(spec["datasets"].values()))
    assert [d["n_label"] for d in data] == ["n = 1", "n = 2", "n = 1"]
    assert [d["sample"] for d in data] == ["fewer than 2", "enough", "fewer than 2"]
    assert charts.time_to_close(pd.DataFrame(columns=["group", "n", "p50_days", "p90_days"]), by="team") is None


def test_open_ageing_chart_keeps_the_bucket_order(tracked_con):
    spec = charts.open_ageing(q.open_item_ageing(tracked_con, today=TODAY), buckets=q.AGE_BUCKETS).to_dict()
    assert spec["encoding"]["y"]["sort"] == list(q.AGE_BUCKETS)


# ------------------------------------------------------------------ pages


@pytest.fixture
def tracked_app(tracked_db, monkeypatch):
    monkeypatch.setenv("HINDSIGHT_DB", str(tracked_db))
    monkeypatch.setenv("HINDSIGHT_TODAY", TODAY.isoformat())
    st.cache_data.clear()
    st.cache_resource.clear()

    def open_page(page: str, query: dict | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(query or {})
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield open_page
    st.cache_data.clear()
    st.cache_resource.clear()


def _text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("header", "markdown", "caption", "info", "success") for e in getattr(at, kind)]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(parts)


def test_action_items_page_shows_follow_through(tracked_app):
    at = tracked_app("action_items")
    headers = [h.value for h in at.header]
    assert "Follow-through in the tracker" in headers and "The postmortem and the tracker disagree" in headers
    assert any("6 of 6 items in view are matched to a tracker issue" in c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Done"] == "67%"  # 4 of 6 by the tracker's statuses
    tables = [df.value for df in at.dataframe]
    closing = next(t for t in tables if "p50_days" in t.columns)
    assert closing.values.tolist() == [["2025Q4", 1, 39.0, 39.0], ["2026Q2", 2, 19.0, 27.8], ["2026Q3", 1, 14.0, 14.0]]
    mismatch = next(t for t in tables if "disagreement" in t.columns)
    assert mismatch["disagreement"].tolist()[0] == q.DOC_DONE_TRACKER_OPEN
    assert SECRET_TITLE not in _text(at) and SECRET_OWNER not in _text(at)
    at.segmented_control(key="ai_close_by").set_value("team").run()
    closing = next(df.value for df in at.dataframe if "p50_days" in df.value.columns)
    assert closing["group"].tolist() == ["infra", "payments", "search"]


def test_action_items_page_without_a_tracker_says_how_to_add_one(fixture_db, monkeypatch):
    monkeypatch.setenv("HINDSIGHT_DB", str(fixture_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/action_items.py").run()
    assert not at.exception
    assert any("--tracker" in i.value for i in at.info)


def test_data_quality_page_lists_fuzzy_matches_and_unreferenced_records(tracked_app):
    at = tracked_app("data_quality")
    assert "Tracker issues to review" in [h.value for h in at.header]
    tables = [df.value for df in at.dataframe]
    fuzzy = next(t for t in tables if "record_title" in t.columns)
    assert fuzzy["record"].tolist() == ["#7"]
    unref = next(t for t in tables if "url" in t.columns)
    assert unref["key"].tolist() == ["#8"]
    assert any("not referenced by any postmortem" in c.value for c in at.caption)


def test_review_shows_time_to_close(tracked_app):
    at = tracked_app("review", query={"quarter": "2026Q2"})
    health = next(df.value for df in at.dataframe if (df.value.iloc[:, 0] == "Time to close, p50 / p90 (n)").any())
    row = health[health.iloc[:, 0] == "Time to close, p50 / p90 (n)"].iloc[0].tolist()
    assert row[1:] == ["19 d / 28 d (n = 2)", "–"]  # 2026Q1 had no incidents
    tracked = health[health.iloc[:, 0] == "Matched to a tracker issue"].iloc[0].tolist()
    assert tracked[1:] == ["3", "0"]


def test_repeats_page_explains_the_fix_date(tracked_app):
    at = tracked_app("repeats")
    assert any("closed in the tracker" in c.value for c in at.caption)


def test_today_is_pinned(tracked_app):
    assert TODAY == date(2026, 9, 30)
