"""pipelines.read against the hand-written fixture DB (tests/dashboard/conftest.py), whose answers we know."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from pipelines import read as q
from pipelines.quarters import Quarter, Span
from pipelines.read.access import ANONYMOUS, Viewer
from tests.dashboard.conftest import SECRET_FACTOR, SECRET_OWNER, SECRET_TITLE, TODAY

SECURITY = Viewer(email="sam@example.com", groups=("Security",))
HOSTILE = ["'; DROP TABLE incidents; --", "%", "_", "a%b_c\\", "ünïcødé ☃", "x" * 10_000, "\"quoted\"", "NULL"]


def _all_text(df: pd.DataFrame) -> str:
    return " ".join(str(v) for v in df.astype(str).to_numpy().ravel())


def test_filter_options_and_bounds(con):
    opts = q.filter_options(con)
    assert sorted(opts[opts.kind == "team"].value) == ["infra", "payments", "search"]
    assert sorted(opts[opts.kind == "service"].value) == ["api", "db", "search"]
    assert sorted(opts[opts.kind == "theme"].value) == ["1", "2"]  # unclustered (-1) is not a filter choice
    b = q.date_bounds(con).iloc[0]
    assert (pd.Timestamp(b["first"]).date(), pd.Timestamp(b["last"]).date(), b.incidents) == (date(2025, 12, 1), date(2026, 9, 1), 6)
    assert pd.Timestamp(b["dense_first"]).date() == date(2025, 12, 1)  # 2025 and 2026 both have incidents


def test_incidents_per_month_counts_restricted_incidents(con):
    df = q.incidents_per_month(con)
    assert df.incidents.sum() == 6
    aug = df[pd.to_datetime(df.month) == "2026-08-01"]
    assert aug.severity.tolist() == ["SEV1"] and aug.incidents.tolist() == [1]  # INC-4, restricted, still counted


def test_reference_quarter_is_the_last_complete_one(con):
    assert q.reference_quarter(con, today=TODAY) == Quarter(2026, 2)  # 2026Q3 runs until 30 September
    assert q.reference_quarter(con, today=date(2026, 10, 1)) == Quarter(2026, 3)
    # an end date inside 2026Q2 cuts it; 2026Q1 has no incident: 2025Q4 is the last complete quarter in view
    assert q.reference_quarter(con, q.Filters(end=date(2026, 6, 15)), today=date(2027, 1, 1)) == Quarter(2025, 4)
    # nothing complete in view: the latest quarter, which the page marks as partial
    assert q.reference_quarter(con, q.Filters(teams=("search",)), today=TODAY) == Quarter(2026, 3)


def test_reference_period_widens_to_four_quarters_when_the_quarter_is_sparse(con):
    # 2026Q3 holds 3 incidents; the four quarters 2025Q4-2026Q3 hold all 6
    assert q.reference_period(con, today=date(2026, 10, 1), min_incidents=3) == Quarter(2026, 3)
    span = q.reference_period(con, today=date(2026, 10, 1), min_incidents=4)
    assert isinstance(span, Span) and (span.first, span.last) == (Quarter(2025, 4), Quarter(2026, 3))
    assert str(span) == "2025Q4–2026Q3" and str(span.previous()) == "2024Q4–2025Q3"
    k = q.overview_kpis(con, today=date(2026, 10, 1), min_incidents=4).set_index("period")
    assert (k.loc["this"].incidents, k.loc["last"].incidents) == (6, 0)
    assert pd.Timestamp(k.loc["this"].period_start).date() == date(2025, 10, 1)
    top = q.top_services(con, today=date(2026, 10, 1), min_incidents=4)
    assert top.incidents.sum() >= q.top_services(con, today=date(2026, 10, 1), min_incidents=1).incidents.sum()
    # the search team alone has fewer than 4 in its quarter and nothing more in the four: no widening
    assert q.reference_period(con, q.Filters(teams=("search",)), today=TODAY, min_incidents=4) == Quarter(2026, 3)


def test_overview_kpis_this_and_last_quarter(con):
    k = q.overview_kpis(con, today=date(2026, 10, 1), min_incidents=1).set_index("period")
    this, last = k.loc["this"], k.loc["last"]
    assert pd.Timestamp(this.period_start).date() == date(2026, 7, 1)
    assert (this.incidents, last.incidents) == (3, 2)
    assert (this.complete, this.scored) == (1, 3)  # INC-3 (85) of 3, 4, 5
    assert (last.complete, last.scored) == (1, 2)  # INC-1 (90) of 1, 2
    assert (this.action_items, this.action_items_done) == (2, 0)
    assert (last.action_items, last.action_items_done) == (3, 2)
    assert this.ttr_median_hours == pytest.approx(3.5) and this.ttr_n == 2  # 1 h and 6 h; INC-5 has no times
    assert last.ttr_median_hours == pytest.approx(3.0) and last.ttr_n == 2


def test_kpis_follow_the_filter_end_date(con):
    k = q.overview_kpis(con, q.Filters(end=date(2026, 6, 30)), today=TODAY, min_incidents=1).set_index("period")
    assert pd.Timestamp(k.loc["this"].period_start).date() == date(2026, 4, 1)
    # an end date inside a quarter cuts it: the quarter before is the last complete one in view
    k = q.overview_kpis(con, q.Filters(end=date(2026, 8, 20)), today=date(2027, 1, 1), min_incidents=1).set_index("period")
    assert pd.Timestamp(k.loc["this"].period_start).date() == date(2026, 4, 1)
    assert (k.loc["this"].incidents, k.loc["last"].incidents) == (2, 0)


def test_top_services_and_failure_modes_this_quarter(con):
    today = date(2026, 10, 1)  # 2026Q3 complete
    assert q.top_services(con, today=today, min_incidents=1).set_index("service").incidents.to_dict() == {"search": 2, "api": 1}
    # 2026Q3: INC-3 and INC-5 are traffic overload, INC-4 (restricted, still counted) resource exhaustion.
    assert q.top_failure_modes(con, today=today, min_incidents=1).set_index("name").incidents.to_dict() == {"Traffic overload": 2, "Resource or quota exhaustion": 1}
    assert q.top_services(con, today=TODAY, min_incidents=1).set_index("service").incidents.to_dict() == {"api": 2, "db": 1}  # 2026Q2


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("team", {("2025Q4", "infra"): 1, ("2026Q2", "payments"): 2, ("2026Q3", "payments"): 1, ("2026Q3", "search"): 2}),
        ("service", {("2025Q4", "db"): 1, ("2026Q2", "api"): 2, ("2026Q2", "db"): 1, ("2026Q3", "api"): 1, ("2026Q3", "search"): 2}),
        # INC-6 (2025Q4) has no failure mode: it is counted, as "(no failure mode)", like a missing team
        ("failure mode", {("2025Q4", "(no failure mode)"): 1, ("2026Q2", "Resource or quota exhaustion"): 2,
                          ("2026Q2", "Code change shipped a bug"): 1, ("2026Q3", "Resource or quota exhaustion"): 1,
                          ("2026Q3", "Traffic overload"): 2}),
    ],
)
def test_incidents_by_dimension(con, dimension, expected):
    df = q.incidents_by_dimension(con, dimension=dimension)
    assert {(r.quarter, r.group): r.incidents for r in df.itertuples() if r.incidents} == expected
    # every quarter from the first to the last, for every group, 0 where none: a true time axis
    quarters = ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    first = min(quarter for quarter, _ in expected)
    assert sorted(set(df.quarter)) == quarters[quarters.index(first):]
    assert len(df) == len(set(df.quarter)) * df.group.nunique()


def test_folded_groups_count_distinct_incidents(con):
    """With one line allowed, "other" counts each incident once, however many of its groups were folded."""
    df = q.incidents_by_dimension(con, dimension="service", top=1)
    assert set(df.group) == {"(other services)"}
    per_quarter = df.set_index("quarter").incidents.to_dict()
    assert per_quarter == {"2025Q4": 1, "2026Q1": 0, "2026Q2": 2, "2026Q3": 3}  # INC-1 has api and db: once
    two = q.incidents_by_dimension(con, dimension="service", top=2)
    assert set(two.group) == {"api", "(other services)"}


def test_dense_period_skips_a_scattered_past():
    from pipelines.read.periods import dense_start_year

    assert dense_start_year({1628: 1, 2001: 1, 2004: 2, 2009: 1, 2012: 1, 2023: 2, 2024: 3, 2025: 3}) == 2023
    assert dense_start_year({2023: 40, 2024: 100, 2025: 90, 2026: 80}) == 2023  # dense throughout: everything
    # a lone recent incident after a quiet year must not hide the corpus: reach back over the gap
    assert dense_start_year({2010 + i: 30 for i in range(11)} | {2022: 1}) == 2010
    assert dense_start_year({}) is None


def test_incidents_outside_a_range(con):
    row = q.incidents_outside(con, start=date(2026, 4, 1), end=date(2026, 8, 31)).iloc[0]
    assert (row.before, row.after, row.undated) == (1, 1, 0)
    assert pd.Timestamp(row.before_first).date() == date(2025, 12, 1) and pd.Timestamp(row.after_last).date() == date(2026, 9, 1)


def test_unknown_dimension_is_refused(con):
    with pytest.raises(ValueError):
        q.incidents_by_dimension(con, dimension="owner")
    with pytest.raises(ValueError):
        q.action_completion(con, by="owner; DROP TABLE incidents")


def test_duration_summary_median_p90_and_n(con):
    s = q.duration_summary(con).set_index(["metric", "quarter"])
    ttr = s.loc[("Time to resolve", "2026Q3")]
    assert ttr.n == 2 and ttr["median"] == pytest.approx(3.5) and ttr.p90 == pytest.approx(1 + 0.9 * 5)
    assert bool(ttr.small_sample)
    ttd = s.loc[("Time to detect", "2026Q2")]
    assert ttd["median"] == pytest.approx((10 / 60 + 0.5) / 2)
    assert len(q.durations(con)) == 10  # 5 incidents with times x 2 metrics
    sample = q.durations(con, per_quarter=1)  # one dot per quarter and metric, same every time
    assert len(sample) == 6 and sample.equals(q.durations(con, per_quarter=1))


def test_failure_mode_summary_counts_distinct_incidents_restricted_included(con):
    t = q.failure_mode_summary(con).set_index("mode")
    assert t.index.tolist() == ["resource_exhaustion", "overload", "code_deploy"]  # INC-6 only mentions failover: no mode
    r = t.loc["resource_exhaustion"]
    assert (r["name"], r.class_name, r.incidents, r.by_hand, r.patterns, r.unclustered, r.repeats, r.recurred_after_fix, r.quarters_active) == (
        "Resource or quota exhaustion", "Capacity", 3, 1, 1, 0, 2, 1, 2)
    assert list(r.services) == ["api", "db"]
    c = t.loc["code_deploy"]
    assert (c.incidents, c.patterns, c.unclustered) == (1, 0, 1)
    assert q.failure_mode_coverage(con).iloc[0].tolist() == [6, 5, 1]
    # Filters narrow it: only 2026Q3.
    q3 = q.failure_mode_summary(con, q.Filters(start=date(2026, 7, 1))).set_index("mode").incidents.to_dict()
    assert q3 == {"overload": 2, "resource_exhaustion": 1}
    assert SECRET_FACTOR not in _all_text(q.failure_mode_summary(con))


def test_failure_mode_examples_are_evidence_the_viewer_may_read(con):
    anon = q.failure_mode_examples(con, mode="resource_exhaustion")
    assert anon.sentence.tolist() == ["Connection leak exhausted the pool", "Connection pool too small for peak traffic"]  # by score
    assert SECRET_FACTOR in q.failure_mode_examples(con, viewer=SECURITY, mode="resource_exhaustion").sentence.tolist()
    assert q.failure_mode_examples(con, mode="replication_failover").empty  # mentioned only, not one of INC-6's modes


def test_patterns_of_a_mode_and_its_unclustered_bucket(con):
    p = q.mode_patterns(con, mode="resource_exhaustion")
    assert p[["theme_id", "label", "incidents"]].values.tolist() == [[1, "connection pool exhaustion", 3]]
    assert list(p.examples.iloc[0]) == ["Connection pool too small for peak traffic", "Connection leak exhausted the pool"]
    code = q.mode_patterns(con, mode="code_deploy")
    assert code[["theme_id", "label", "incidents"]].values.tolist() == [[-1, "Unclustered", 1]]
    assert list(code.examples.iloc[0]) == ["The deploy that morning leaked connections"]


def test_mode_drill_down_masks_restricted(con):
    inc = q.mode_incidents(con, mode="resource_exhaustion")
    assert len(inc) == 3 and set(inc.pattern) == {"connection pool exhaustion"}
    hidden = inc[inc.incident_id.isna()]
    assert hidden.title.tolist() == ["restricted incident"] and hidden.evidence.isna().all()
    assert SECRET_TITLE not in _all_text(inc) and SECRET_FACTOR not in _all_text(inc)
    assert SECRET_FACTOR in q.mode_incidents(con, viewer=SECURITY, mode="resource_exhaustion").evidence.tolist()
    assert q.mode_incidents(con, mode="code_deploy", theme_id=-1).incident_id.tolist() == ["INC-2"]
    assert q.mode_incidents(con, mode="code_deploy", theme_id=1).empty


def test_mode_quarters_and_classes(con):
    hm = q.failure_mode_quarters(con)
    assert {(r.name, r.quarter): r.incidents for r in hm.itertuples()}[("Resource or quota exhaustion", "2026Q2")] == 2
    assert q.failure_mode_classes(con).set_index("class_name").incidents.to_dict() == {"Capacity": 5, "Change": 1}


def test_incident_failure_modes_with_evidence(con):
    m = q.incident_failure_modes(con, incident_id="INC-2")
    assert m[["name", "weight", "source"]].values.tolist() == [
        ["Resource or quota exhaustion", 0.6, "rules"], ["Code change shipped a bug", 0.4, "rules"],
    ]
    assert m.pattern.iloc[0] == "connection pool exhaustion" and pd.isna(m.pattern.iloc[1])
    assert list(m.evidence.iloc[0]) == ["Connection leak exhausted the pool"]
    assert q.incident_failure_modes(con, incident_id="INC-4").empty  # restricted: nothing for an anonymous viewer
    assert list(q.incident_failure_modes(con, viewer=SECURITY, incident_id="INC-4").evidence.iloc[0]) == [SECRET_FACTOR]


def test_repeats_chain_and_recurred_after_fix(con):
    g = q.repeat_groups(con).iloc[0]
    assert (g["mode"], g["name"], g.service, g.repeats, g.incidents, g.min_days_between, g.pattern) == (
        "resource_exhaustion", "Resource or quota exhaustion", "api", 2, 3, 40, "connection pool exhaustion")
    chain = q.repeat_chain(con, mode="resource_exhaustion", service="api")
    assert chain.title.tolist()[:2] == ["Checkout API connection pool exhausted", "Checkout API pool exhausted again"]
    assert chain.title.tolist()[2] == "restricted incident"
    assert chain.days_since_previous.tolist()[1:] == [40, 87]
    raf = q.recurred_after_fix(con)
    # INC-4 (2026-08-15) recurred after INC-2, whose only item is done and was due 2026-06-01;
    # INC-2 after INC-1 does not count (an item is open)
    assert raf[["mode", "name", "recurrences", "services"]].values.tolist() == [["resource_exhaustion", "Resource or quota exhaustion", 1, "api"]]
    assert pd.Timestamp(raf.last_recurrence.iloc[0]).date() == date(2026, 8, 15)
    assert SECRET_TITLE not in _all_text(raf)


def test_recurred_after_fix_follows_the_filters(con):
    assert q.recurred_after_fix(con, q.Filters(end=date(2026, 6, 30))).empty  # INC-4 is outside the range
    assert q.recurred_after_fix(con, q.Filters(themes=(2,))).empty
    # INC-2, the fixed incident, may lie outside the range: only the recurrence has to be inside it
    raf = q.recurred_after_fix(con, q.Filters(start=date(2026, 7, 1)))
    assert raf[["mode", "recurrences"]].values.tolist() == [["resource_exhaustion", 1]]


def test_a_fix_due_after_the_recurrence_does_not_count(fixture_db, tmp_path):
    db = tmp_path / "late_fix.duckdb"
    db.write_bytes(fixture_db.read_bytes())
    with duckdb.connect(str(db)) as c:
        # INC-2's only (done) item now falls due 2026-09-01, after INC-4 (2026-08-15) came back:
        # the fix cannot be shown to precede the recurrence, and INC-1 still has an open item.
        c.execute("UPDATE action_items SET due_date = DATE '2026-09-01' WHERE incident_id = 'INC-2'")
        assert q.recurred_after_fix(c).empty
        # due the day before INC-4 started: counts again
        c.execute("UPDATE action_items SET due_date = DATE '2026-08-14' WHERE incident_id = 'INC-2'")
        assert q.recurred_after_fix(c)[["mode", "recurrences"]].values.tolist() == [["resource_exhaustion", 1]]
        # repeat_incidents links are not what decides: with none, INC-4 still recurred after INC-2's fix
        c.execute("DELETE FROM repeat_incidents")
        assert q.recurred_after_fix(c)[["mode", "recurrences"]].values.tolist() == [["resource_exhaustion", 1]]


def test_action_item_figures(con):
    by_q = q.action_completion(con, by="quarter").set_index("group")
    assert by_q.loc["2026Q2"][["items", "done", "open"]].tolist() == [3, 2, 1]
    assert by_q.loc["2026Q2", "done_pct"] == pytest.approx(66.7)
    totals = q.action_item_totals(con, today=TODAY).iloc[0]
    assert totals[["items", "done", "open", "overdue", "no_owner", "no_due", "incidents", "incidents_without_items"]].tolist() == [6, 3, 3, 2, 1, 1, 6, 1]
    assert totals["no_owner_or_due"] == 1  # INC-3's item lacks both, and counts once
    overdue = q.overdue_items(con, today=TODAY)
    assert overdue.days_overdue.tolist() == [152, 60]
    assert overdue.owner.tolist()[0] == "bob"
    assert SECRET_OWNER not in _all_text(overdue) and "signing keys" not in _all_text(overdue)
    assert q.unassigned_items(con).missing.tolist() == ["owner and due date"]
    assert q.incidents_without_actions(con).incident_id.tolist() == ["INC-5"]


def test_incident_pages_respect_restriction(con):
    hidden = q.incident_detail(con, incident_id="INC-4").iloc[0]
    assert not hidden.visible and hidden.title == "restricted incident" and hidden.incident_id is None
    for fn in (q.incident_sections, q.incident_timeline, q.incident_action_items, q.incident_factors, q.incident_lint, q.incident_related):
        assert fn(con, incident_id="INC-4").empty, fn.__name__
    shown = q.incident_detail(con, SECURITY, incident_id="INC-4").iloc[0]
    assert shown.visible and shown.title == SECRET_TITLE
    assert q.incident_action_items(con, SECURITY, incident_id="INC-4").owner.tolist() == [SECRET_OWNER]
    # an email in allowed_groups also works, case-insensitively
    assert Viewer(email="Sam@Example.com").can_see(True, ["sam@example.com"])


def test_incident_related_masks_hidden_neighbours(con):
    rel = q.incident_related(con, incident_id="INC-1")
    assert rel["rank"].tolist() == [1, 2, 3]
    assert rel.related_id.tolist()[0] == "INC-2" and pd.isna(rel.related_id.tolist()[1])
    assert rel.title.tolist()[1] == "restricted incident"
    assert SECRET_TITLE not in _all_text(rel)


def test_incident_choices_and_cards(con):
    assert "INC-4" not in q.incident_choices(con).incident_id.tolist()
    assert "INC-4" in q.incident_choices(con, SECURITY).incident_id.tolist()
    cards = q.incident_cards(con, ids=["INC-4", "INC-1"])
    assert cards.position.tolist() == [1, 2] and cards.visible.tolist() == [False, True]
    assert SECRET_TITLE not in _all_text(cards)


def test_data_quality(con):
    assert len(q.ingest_errors(con)) == 2
    missing = q.missing_parts(con).set_index("title")
    assert "INC-1" not in missing.incident_id.tolist()  # INC-1 has every key part
    # INC-5 has a contributing factor, which counts as a root cause even without the section
    assert missing.loc["Search autocomplete slow", "missing"] == (
        "summary, timeline, impact, action items, start time, detection time, resolution time"
    )
    assert missing.loc["Database failover took too long", "missing"] == "timeline, impact"  # its item counts
    assert SECRET_TITLE not in _all_text(q.missing_parts(con))
    scores = q.completeness_scores(con)
    assert sorted(scores.completeness) == [30, 60, 70, 85, 90, 100]
    lint = q.lint_rule_counts(con)
    assert {(r.quarter, r.rule): r.findings for r in lint.itertuples()} == {
        ("2026Q2", "missing-section"): 2, ("2026Q2", "human-error"): 1, ("2026Q3", "missing-section"): 1
    }
    assert lint[lint.rule == "human-error"].severity.tolist() == ["error"]


def test_field_provenance_hand_counted(con):
    got = q.field_provenance(con)
    counts = {(r.field, r.provenance): r.incidents for r in got.itertuples()}
    assert got.label.unique().tolist() == ["Severity", "Impact start", "Detection", "Resolution", "Services", "Team"]
    # (stated, inferred, missing) per field, from the table in conftest.py
    assert {f: tuple(counts[(f, p)] for p in ("stated", "inferred", "missing")) for f in q.SOURCED_FIELD_LABELS} == {
        "severity": (6, 0, 0), "started_at": (3, 2, 1), "detected_at": (2, 3, 1), "resolved_at": (3, 2, 1),
        "services": (4, 2, 0), "team": (3, 3, 0),
    }
    team = got[got.field == "team"].set_index("provenance")
    assert team.loc["inferred", "share"] == pytest.approx(0.5) and team.loc["inferred", "sources"] == "catalog, corpus"
    assert pd.isna(team.loc["missing", "sources"])
    # filtered: the search team's INC-3 and INC-5
    search = q.field_provenance(con, q.Filters(teams=("search",)))
    assert search[(search.field == "started_at")].incidents.tolist() == [1, 0, 1]
    assert q.duration_provenance(con).iloc[0].tolist() == [5, 3]
    assert q.duration_provenance(con, q.Filters(teams=("search",))).iloc[0].tolist() == [1, 0]


def test_possible_duplicates_hide_what_the_viewer_may_not_read(con):
    pairs = q.possible_duplicates(con)
    assert pairs.title.tolist() == ["Checkout API connection pool exhausted", "Search index lag <script>alert(1)</script>"]
    assert pairs.other_title.tolist() == ["restricted incident", "Search autocomplete slow"]
    assert pairs.other_id.isna().tolist() == [True, False]
    assert pairs.shared_services.tolist() == ["api", "search"] and pairs.hours_apart.tolist() == [0.0, 12.5]
    assert SECRET_TITLE not in _all_text(pairs)
    assert q.possible_duplicates(con, viewer=SECURITY).other_title.tolist()[0] == SECRET_TITLE
    assert len(q.possible_duplicates(con, q.Filters(teams=("search",)))) == 1


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (q.Filters(teams=("search",)), 2),
        (q.Filters(services=("db",)), 2),
        (q.Filters(severities=("SEV1",)), 2),
        (q.Filters(themes=(2,)), 2),
        (q.Filters(start=date(2026, 7, 1)), 3),
        (q.Filters(start=date(2026, 4, 1), end=date(2026, 6, 30), teams=("payments",), services=("api",)), 2),
        (q.Filters(teams=("nobody",)), 0),
    ],
)
def test_filters_narrow_every_query(con, filters, expected):
    assert q.incidents_per_month(con, filters).incidents.sum() == expected


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_filter_values_are_data_not_sql(con, value):
    f = q.Filters(teams=(value,), services=(value,), severities=(value,))
    assert q.incidents_per_month(con, f).empty
    assert q.incident_detail(con, incident_id=value).empty
    assert q.repeat_chain(con, mode="resource_exhaustion", service=value).empty
    assert q.repeat_chain(con, mode=value, service="api").empty
    assert q.mode_incidents(con, mode=value).empty
    assert len(q.incidents_per_month(con)) == 6  # data intact


def test_every_query_returns_a_dataframe_on_an_empty_database(tmp_path):
    from pipelines.build.schema import create_schema

    path = tmp_path / "empty.duckdb"
    with duckdb.connect(str(path)) as c:
        create_schema(c)
    con = duckdb.connect(str(path), read_only=True)
    calls = [
        q.filter_options(con), q.date_bounds(con), q.incidents_per_month(con), q.overview_kpis(con, today=TODAY),
        q.top_services(con, today=TODAY), q.top_failure_modes(con, today=TODAY), q.incidents_outside(con), q.incidents_by_dimension(con),
        q.durations(con), q.duration_summary(con),
        q.failure_mode_summary(con), q.failure_mode_coverage(con), q.failure_mode_quarters(con), q.failure_mode_classes(con),
        q.failure_mode_examples(con, mode="dns"), q.mode_patterns(con, mode="dns"), q.mode_incidents(con, mode="dns"),
        q.incident_failure_modes(con, incident_id="x"),
        q.repeat_groups(con), q.recurred_after_fix(con), q.action_completion(con), q.overdue_items(con, today=TODAY),
        q.unassigned_items(con), q.incidents_without_actions(con), q.action_item_totals(con, today=TODAY),
        q.incident_choices(con), q.missing_parts(con), q.completeness_scores(con), q.lint_rule_counts(con), q.ingest_errors(con),
        q.field_provenance(con), q.duration_provenance(con), q.possible_duplicates(con),
    ]
    assert all(isinstance(df, pd.DataFrame) for df in calls)
    assert q.reference_quarter(con, today=TODAY) is None


def test_viewer_is_a_collection_of_principals():
    v = Viewer(email=" Ana@Example.com ", groups=("SRE", "sre", ""))
    assert tuple(v) == ("sre", "ana@example.com")
    assert ANONYMOUS.is_anonymous and tuple(ANONYMOUS) == ()
    assert not ANONYMOUS.can_see(True, ["sre"]) and ANONYMOUS.can_see(False, None)


def test_items_missing_an_owner_or_a_due_date_count_once_each(fixture_db, tmp_path):
    """One item without an owner, another without a due date: two items, not max(1, 1)."""
    import shutil

    path = tmp_path / "h.duckdb"
    shutil.copy(fixture_db, path)
    with duckdb.connect(str(path)) as c:
        c.execute("INSERT INTO action_items (incident_id, seq, text, owner, due_date, status) VALUES "
                  "('INC-2', 1, 'Add a pool dashboard', NULL, DATE '2026-10-01', 'open'), "
                  "('INC-2', 2, 'Load test the pool', 'dana', NULL, 'in_progress')")
        totals = q.action_item_totals(c, today=TODAY).iloc[0]
    assert totals[["no_owner", "no_due", "no_owner_or_due"]].tolist() == [2, 2, 3]
