"""The Review page under AppTest against the dashboard fixture DB (tests/dashboard/conftest.py).

2026Q3 holds INC-3 (SEV3), INC-4 (SEV1, restricted) and INC-5 (SEV4); 2026Q2 holds INC-1 (SEV1)
and INC-2 (SEV2). Time to resolve in 2026Q3: INC-3 1 h, INC-4 6 h -> median 3.5 h (n = 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import SECRET_OWNER, SECRET_TITLE

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _fresh_caches(fixture_db, monkeypatch):
    monkeypatch.setenv("HINDSIGHT_DB", str(fixture_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _review_page(quarter: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if quarter is not None:
        at.query_params["quarter"] = quarter
    at.switch_page("pages/review.py")
    at.run()
    return at


def _page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    for df in at.dataframe:
        parts.append(df.value.to_string())
    for m in at.metric:
        parts += [m.label, str(m.value)]
    return "\n".join(parts)


def test_defaults_to_last_complete_quarter_and_shows_hand_computed_figures():
    at = _review_page()
    assert not at.exception
    assert at.title[0].value == "Quarterly review"
    assert at.selectbox(key="hs_review_quarter").value == "2026Q3"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Incidents"] == "3"
    assert metrics["SEV1"] == "1"
    assert metrics["Median time to resolve"] == "3.5 h"
    assert metrics["Repeat incidents"] == "1"  # INC-4 after INC-2
    # 3 against 2 incidents: too few to compare, so no (green or red) arrows, and the page says why
    assert all(m.delta in (None, "") for m in at.metric)
    assert any("Too few incidents to compare (3 and 2" in m.value for m in at.markdown)
    headline = at.dataframe[0].value
    assert list(headline.columns) == [" ", "2026Q3", "2026Q2"]  # no Change column: a change would be noise
    row = headline[headline.iloc[:, 0] == "Incidents"].iloc[0].tolist()
    assert row[1:3] == ["3", "2"]
    assert len(at.get("vega_lite_chart")) == 4  # severity, resolve, detect, themes


def test_restricted_incident_is_counted_but_never_named():
    at = _review_page()
    text = _page_text(at)
    assert SECRET_TITLE not in text and SECRET_OWNER not in text
    assert "restricted incident" in text


def test_quarter_from_url_and_picker():
    at = _review_page("2026Q2")
    assert at.selectbox(key="hs_review_quarter").value == "2026Q2"
    assert {m.label: m.value for m in at.metric}["Incidents"] == "2"
    at.selectbox(key="hs_review_quarter").select("2025Q4").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Incidents"] == "1"
    assert at.query_params["quarter"] == ["2025Q4"] or at.query_params["quarter"] == "2025Q4"


@pytest.mark.parametrize("hostile", ["2031Q1", "'; DROP TABLE incidents; --", "x" * 10_000, "2026Q9", "%_"])
def test_hostile_quarter_in_url_falls_back_to_default(hostile):
    at = _review_page(hostile)
    assert not at.exception
    assert at.selectbox(key="hs_review_quarter").value == "2026Q3"


def test_download_buttons_present():
    at = _review_page()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Markdown", "Standalone HTML"]
    at.toggle(key="hs_review_redact").set_value(True).run()
    assert not at.exception


def test_the_as_of_date_comes_from_hindsight_today(monkeypatch):
    """HINDSIGHT_TODAY pins "today": it decides the default quarter and whether the quarter is over."""
    monkeypatch.setenv("HINDSIGHT_TODAY", "2026-08-20")  # inside 2026Q3: the last complete quarter is 2026Q2
    at = _review_page()
    assert not at.exception
    assert at.selectbox(key="hs_review_quarter").value == "2026Q2"
    monkeypatch.setenv("HINDSIGHT_TODAY", "2026-09-10")
    at = _review_page("2026Q3")
    assert "2026Q3 is not over yet (as of 2026-09-10)" in _page_text(at)
