from datetime import date, datetime

import duckdb

from pipelines.build import schema
from pipelines.build.analyse import write_repeats
from pipelines.read import repeats


def _db(incidents, themes, actions=()):
    """incidents: (id, service, started); themes: (id, theme, weight); actions: (id, status, due)."""
    con = duckdb.connect()
    schema.create_schema(con)
    for iid, service, started in incidents:
        con.execute(
            "INSERT INTO incidents (incident_id, source_path, source_format, started_at, incident_date) VALUES (?, ?, 'markdown', ?, ?)",
            [iid, f"{iid}.md", started, started.date()],
        )
        con.execute("INSERT INTO incident_services VALUES (?, ?)", [iid, service])
    for iid, theme, weight in themes:
        con.execute("INSERT INTO incident_themes VALUES (?, ?, ?)", [iid, theme, weight])
    for seq, (iid, status, due) in enumerate(actions):
        con.execute("INSERT INTO action_items (incident_id, seq, text, status, due_date) VALUES (?, ?, 'fix it', ?, ?)", [iid, seq, status, due])
    con.execute("INSERT INTO themes VALUES (1, 'certificates', ['cert'], 'x', 5), (2, 'disks', ['disk'], 'y', 2), (-1, 'Unclustered', [], NULL, 1)")
    return con


INCIDENTS = [
    ("A", "checkout", datetime(2024, 1, 1, 10)),
    ("B", "checkout", datetime(2024, 3, 1, 10)),  # 60 days after A: a repeat
    ("C", "checkout", datetime(2024, 12, 1, 10)),  # 275 days after B: outside the window
    ("D", "search", datetime(2024, 1, 15, 10)),  # same theme, other service
    ("E", "checkout", datetime(2024, 1, 20, 10)),  # same service, other theme
    ("F", "checkout", datetime(2024, 2, 1, 10)),  # theme 1 only in passing (weight 0.1)
    ("G", "checkout", datetime(2024, 1, 1, 10)),  # same time as A: ordered by id, one way only
]
THEMES = [("A", 1, 1.0), ("B", 1, 1.0), ("C", 1, 1.0), ("D", 1, 1.0), ("E", 2, 1.0), ("F", 1, 0.1), ("F", 2, 0.9), ("G", -1, 1.0)]


def pairs(df):
    return {(r.incident_id, r.earlier_incident_id, r.theme_id, r.service, r.days_between) for r in df.itertuples()}


def test_same_theme_and_service_inside_the_window_only():
    con = _db(INCIDENTS, THEMES)
    assert pairs(repeats.find_repeats(con)) == {("B", "A", 1, "checkout", 60), ("F", "E", 2, "checkout", 12)}


def test_window_is_configurable():
    con = _db(INCIDENTS, THEMES)
    got = pairs(repeats.find_repeats(con, window_days=400))
    assert ("C", "B", 1, "checkout", 275) in got and ("C", "A", 1, "checkout", 335) in got
    assert pairs(repeats.find_repeats(con, window_days=30)) == {("F", "E", 2, "checkout", 12)}


def test_unclustered_never_makes_a_repeat_and_ties_count_once():
    con = _db(INCIDENTS + [("H", "checkout", datetime(2024, 1, 1, 10))], THEMES + [("H", 1, 1.0)])
    got = pairs(repeats.find_repeats(con))
    assert not any(-1 in (p[2],) for p in got)
    same_time = {p for p in got if {p[0], p[1]} == {"A", "H"}}
    assert same_time == {("H", "A", 1, "checkout", 0)}


def test_write_repeats_fills_the_table():
    con = _db(INCIDENTS, THEMES)
    assert write_repeats(con) == 2
    assert con.execute("SELECT count(*) FROM repeat_incidents").fetchone()[0] == 2


def test_recurred_after_fix_needs_all_actions_done_before_the_recurrence():
    actions = [
        ("A", "done", date(2024, 2, 1)),
        ("A", "done", date(2024, 1, 20)),  # A fixed by 2024-02-01, before B and C
        ("D", "done", date(2024, 2, 1)),
        ("D", "open", None),  # D not fixed
    ]
    con = _db(INCIDENTS, THEMES, actions)
    got = repeats.recurrence_rows(con)
    assert set(zip(got["incident_id"], got["fixed_incident_id"])) == {("B", "A"), ("C", "A")}
    assert list(repeats.recurrence_rows(con, theme_id=2)["incident_id"]) == []


def test_wont_fix_is_not_a_fix_and_late_fixes_do_not_count():
    actions = [("A", "wont_fix", date(2024, 1, 10)), ("D", "done", date(2024, 6, 1))]
    con = _db(INCIDENTS, THEMES, actions)
    got = repeats.recurrence_rows(con)
    # A declined its fix; D's fix was due 2024-06-01, so only C (December) came after it.
    assert set(zip(got["incident_id"], got["fixed_incident_id"])) == {("C", "D")}


def test_a_fix_due_after_the_recurrence_does_not_count():
    # A's only item is done but due 2024-03-15, after B (2024-03-01): B does not count; C (December) does.
    con = _db(INCIDENTS, THEMES, [("A", "done", date(2024, 3, 15))])
    got = repeats.recurrence_rows(con)
    assert set(zip(got["incident_id"], got["fixed_incident_id"])) == {("C", "A")}
    assert str(got["fixed_at"].iloc[0])[:10] == "2024-03-15"
    # an incident with no action items at all was never fixed
    assert repeats.recurrence_rows(_db(INCIDENTS, THEMES)).empty


def test_theme_summary():
    con = _db(INCIDENTS, THEMES, [("A", "done", date(2024, 2, 1))])
    write_repeats(con)
    df = repeats.theme_summary(con).set_index("theme_id")
    one = df.loc[1]
    assert one["incidents"] == 4  # A, B, C, D (F only in passing)
    assert list(one["quarters"]) == ["2024Q1", "2024Q4"] and one["quarters_active"] == 2
    assert list(one["services"]) == ["checkout", "search"]
    assert str(one["first_seen"])[:10] == "2024-01-01" and str(one["last_seen"])[:10] == "2024-12-01"
    assert one["recurred_after_fix"] == 2 and one["repeat_incidents"] == 1
    assert list(df.index)[-1] == -1  # the bucket sorts last


def test_theme_quarterly():
    con = _db(INCIDENTS, THEMES)
    q = repeats.theme_quarterly(con)
    assert set(zip(q["theme_id"], q["quarter"], q["incidents"])) >= {(1, "2024Q1", 3), (1, "2024Q4", 1)}


def test_the_latest_fix_before_the_recurrence_is_named_and_ties_go_to_the_smaller_id():
    incidents = [("Z", "s", datetime(2024, 1, 1)), ("Y", "s", datetime(2024, 1, 1)), ("W", "s", datetime(2024, 1, 2)),
                 ("X", "s", datetime(2024, 5, 1))]
    actions = [("Z", "done", date(2024, 2, 1)), ("Y", "done", date(2024, 2, 1)), ("W", "done", date(2024, 1, 10))]
    con = _db(incidents, [(i, 1, 1.0) for i in "ZYWX"], actions)
    got = repeats.recurrence_rows(con)
    # X: Y and Z fixed 2024-02-01 (latest, tie -> Y); Y, Z: W fixed 2024-01-10, after them, so not counted
    assert set(zip(got["incident_id"], got["fixed_incident_id"])) == {("X", "Y")}
