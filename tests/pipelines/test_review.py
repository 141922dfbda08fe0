"""Review figures against values worked out by hand from tests/pipelines/review_db.py."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.read.access import Viewer
from pipelines.report.review import (
    RESTRICTED_THEME,
    RESTRICTED_TITLE,

    build_review,
    default_quarter,
    duration_stats,
)
from pipelines.quarters import Quarter, parse_quarter
from tests.pipelines.review_db import AS_OF, SECRET_THEME, SECRET_TITLE, make_review_db


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = make_review_db(tmp_path_factory.mktemp("review") / "r.duckdb")
    c = duckdb.connect(str(path), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def review(con):
    return build_review(con, Quarter(2026, 3), as_of=AS_OF)


@pytest.mark.parametrize("text, expected", [("2026Q3", Quarter(2026, 3)), ("2026-q1", Quarter(2026, 1)), (" 2025Q4 ", Quarter(2025, 4))])
def test_parse_quarter_accepts_common_spellings(text, expected):
    assert parse_quarter(text) == expected


def test_parse_quarter_accepts_centuries_old_quarters():
    """Real corpora hold historical incidents (a 1628 shipwreck): their quarters must parse."""
    assert parse_quarter("1628Q3") == Quarter(1628, 3)
    assert (Quarter(1628, 3).start, Quarter(1628, 3).end) == (date(1628, 7, 1), date(1628, 10, 1))


@pytest.mark.parametrize("text", ["2026Q5", "Q3 2026", "2026", "", "2026Q0", "26Q1", "2026Q3; DROP TABLE incidents"])
def test_parse_quarter_rejects_with_the_expected_form(text):
    with pytest.raises(ValueError, match="YYYYQn"):
        parse_quarter(text)


def test_quarter_bounds_and_previous():
    assert (Quarter(2026, 3).start, Quarter(2026, 3).end) == (date(2026, 7, 1), date(2026, 10, 1))
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter(2025, 4).end == date(2026, 1, 1)
    assert str(Quarter(2026, 3)) == "2026Q3"


def test_duration_stats_are_median_and_linear_p90_and_drop_negatives():
    s = duration_stats([30, 600, 60, 120, -5, None])
    assert (s.n, s.median, s.p90) == (4, 90.0, pytest.approx(456.0))
    assert duration_stats([]).median is None


def test_counts_by_severity_include_restricted_and_unknown(review):
    cur, prev = review.current, review.previous
    assert cur.incidents == 5 and prev.incidents == 2
    assert cur.by_severity == {"SEV1": 1, "SEV2": 1, "SEV3": 2, "SEV4": 0, "unknown": 1}
    assert prev.by_severity == {"SEV1": 0, "SEV2": 1, "SEV3": 1, "SEV4": 0, "unknown": 0}
    assert cur.restricted == 1
    assert review.undated_incidents == 1


def test_durations_are_median_p90_with_n(review):
    ttd, ttr = review.current.time_to_detect, review.current.time_to_resolve
    # detect 5, 10, 20, 30 -> median 15, p90 = 20 + 0.7 * 10
    assert (ttd.n, ttd.median, ttd.p90) == (4, 15.0, pytest.approx(27.0))
    # resolve 30, 60, 120, 600 -> median 90, p90 = 120 + 0.7 * 480
    assert (ttr.n, ttr.median, ttr.p90) == (4, 90.0, pytest.approx(456.0))
    p = review.previous.time_to_resolve
    assert (p.n, p.median, p.p90) == (2, 165.0, pytest.approx(225.0))
    assert any("too few" in n for n in review.notes)  # n=4 < 5


def test_top_and_new_themes(review):
    top = [(t.theme_id, t.label, t.incidents, t.previous_incidents, t.is_new) for t in review.top_themes]
    assert top == [
        (1, "retry storms", 2, 1, False),
        (2, "config drift", 1, 0, True),
        (3, RESTRICTED_THEME, 1, 0, True),
    ]
    assert [t.theme_id for t in review.new_themes] == [2, 3]
    assert review.top_themes[0].first_seen == date(2026, 2, 1)


def test_repeats(review):
    assert [(r.mode, r.label, r.service, r.repeats, r.min_days_between) for r in review.repeats] == [
        ("retry_storm", "Retry storm or cascading failure", "api", 2, 58),
        ("config_change", "Configuration change or misconfiguration", "api", 1, 22),
    ]
    assert review.repeat_count == 2 and review.previous_repeats == 1


def test_action_item_health(review):
    a = review.actions
    assert (a.created, a.done, a.wont_fix, a.overdue, a.no_owner, a.no_due_date, a.incidents_without_items) == (5, 1, 1, 2, 1, 1, 2)
    assert a.completion_pct == pytest.approx(20.0)
    b = review.previous_actions
    assert (b.created, b.done, b.overdue, b.incidents_without_items) == (3, 2, 1, 0)
    assert b.completion_pct == pytest.approx(200 / 3)


def test_overdue_depends_on_as_of(con):
    early = build_review(con, Quarter(2026, 3), as_of=date(2026, 9, 15))
    assert early.actions.overdue == 1  # only the item due 2026-09-01


def test_notable_incidents_hide_restricted_titles(review):
    rows = [(n.reason, n.incident_id, n.title, n.resolve_minutes) for n in review.notable]
    assert rows[0][:2] == ("SEV1", "A1")
    assert rows[1] == ("longest to resolve", None, RESTRICTED_TITLE, 600.0)
    assert rows[2][:2] == ("longest to resolve", "A2")
    assert rows[3][:2] == ("longest to resolve", "A4")  # three longest besides the SEV1s
    assert len(rows) == 4
    assert review.notable[1].service is None
    assert SECRET_TITLE not in repr(review) and SECRET_THEME not in repr(review)


def test_allowed_viewer_sees_restricted_title_and_theme(con):
    r = build_review(con, Quarter(2026, 3), as_of=AS_OF, viewer=Viewer(email="x@example.com", groups=("security",)))
    assert r.notable[1].title == SECRET_TITLE and r.notable[1].incident_id == "A3"
    assert SECRET_THEME in [t.label for t in r.top_themes]
    # Another signed-in user without the group still sees nothing.
    other = build_review(con, Quarter(2026, 3), as_of=AS_OF, viewer=Viewer(email="y@example.com", groups=("payments",)))
    assert SECRET_TITLE not in repr(other) and SECRET_THEME not in repr(other)


def test_empty_quarter_has_zero_figures(con):
    r = build_review(con, Quarter(2025, 1), as_of=AS_OF)
    assert r.current.incidents == 0 and r.current.time_to_resolve.median is None
    assert r.actions.created == 0 and r.actions.completion_pct is None
    assert r.top_themes == [] and r.notable == []


def test_default_quarter_is_last_complete_quarter_with_data(con):
    assert default_quarter(con, today=date(2026, 11, 28)) == Quarter(2026, 3)
    assert default_quarter(con, today=date(2026, 8, 1)) == Quarter(2026, 2)
    assert default_quarter(con, today=date(2026, 1, 5)) == Quarter(2026, 3)  # nothing complete: latest


def test_partial_quarter_is_noted(con):
    r = build_review(con, Quarter(2026, 3), as_of=date(2026, 9, 20))
    assert any("not over yet" in n for n in r.notes)


def test_many_sev1s_are_capped_to_the_longest(con):
    import pandas as pd

    from pipelines.read.access import ANONYMOUS
    from pipelines.report.review import NOTABLE_SEV1, _notable

    n = NOTABLE_SEV1 + 5
    df = pd.DataFrame({
        "incident_id": [f"S{i:02d}" for i in range(n)], "title": ["t"] * n, "severity": ["SEV1"] * n,
        "incident_date": pd.date_range("2026-07-01", periods=n, freq="D"), "restricted": [False] * n,
        "allowed_groups": [[] for _ in range(n)], "service": ["api"] * n, "resolve_minutes": [float(i) for i in range(n)],
        "detect_minutes": [1.0] * n,
    })
    rows = _notable(df, ANONYMOUS)
    assert [r.incident_id for r in rows] == [f"S{i:02d}" for i in range(5, n)]  # the longest, in date order


def test_as_of_today_is_one_rule_for_dashboard_report_and_followups(monkeypatch):
    from datetime import date

    from pipelines.quarters import TODAY_ENV, as_of_today

    monkeypatch.setenv(TODAY_ENV, "2026-09-30")
    assert as_of_today() == date(2026, 9, 30)
    monkeypatch.setenv(TODAY_ENV, "not a date")
    assert as_of_today() == date.today()
    monkeypatch.delenv(TODAY_ENV)
    assert as_of_today() == date.today()
