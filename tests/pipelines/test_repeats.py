from datetime import date, datetime

import duckdb

from pipelines.build import schema
from pipelines.build.analyse import write_repeats
from pipelines.read import repeats


def _db(incidents, modes, actions=(), patterns=()):
    """incidents: (id, service, started); modes: (id, mode, weight); actions: (id, status, due);
    patterns: (id, pattern id) with pattern 1 inside 'expiry'."""
    con = duckdb.connect()
    schema.create_schema(con)
    for iid, service, started in incidents:
        con.execute(
            "INSERT INTO incidents (incident_id, source_path, source_format, started_at, incident_date) VALUES (?, ?, 'markdown', ?, ?)",
            [iid, f"{iid}.md", started, started.date()],
        )
        for svc in service.split("+"):
            con.execute("INSERT INTO incident_services VALUES (?, ?)", [iid, svc])
    for iid, mode, weight in modes:
        con.execute("INSERT INTO incident_failure_modes VALUES (?, ?, 1.0, ?, 'rules', [], [])", [iid, mode, weight])
    for seq, (iid, status, due) in enumerate(actions):
        con.execute("INSERT INTO action_items (incident_id, seq, text, status, due_date) VALUES (?, ?, 'fix it', ?, ?)", [iid, seq, status, due])
    con.execute(
        "INSERT INTO failure_modes VALUES ('expiry', 'dependency', 'Dependency', 'Certificate or credential expiry', 'd'), "
        "('hardware', 'infrastructure', 'Infrastructure', 'Hardware failure', 'd')"
    )
    con.execute("INSERT INTO themes VALUES (1, 'expiry', 'Renewal job', [], 'x', ['x'], 2)")
    for iid, pid in patterns:
        con.execute("INSERT INTO incident_themes VALUES (?, ?, 1.0)", [iid, pid])
    return con


INCIDENTS = [
    ("A", "checkout", datetime(2024, 1, 1, 10)),
    ("B", "checkout", datetime(2024, 3, 1, 10)),  # 60 days after A: a repeat
    ("C", "checkout", datetime(2024, 12, 1, 10)),  # 275 days after B: inside two years, outside 180 days
    ("D", "search", datetime(2024, 1, 15, 10)),  # same mode, other service
    ("E", "checkout", datetime(2024, 1, 20, 10)),  # same service, other mode
    ("F", "checkout", datetime(2024, 2, 1, 10)),  # expiry only in passing (weight 0)
    ("G", "checkout", datetime(2024, 1, 1, 10)),  # same time as A: ordered by id, one way only
]
# F mentions expiry in passing (weight 0: not one of its modes); G matched no mode.
MODES = [("A", "expiry", 1.0), ("B", "expiry", 1.0), ("C", "expiry", 1.0), ("D", "expiry", 1.0), ("E", "hardware", 1.0),
         ("F", "expiry", 0.0), ("F", "hardware", 1.0)]


def pairs(df):
    return {(r.incident_id, r.earlier_incident_id, r.mode, r.service, r.days_between) for r in df.itertuples()}


def test_same_mode_and_service_inside_the_window_only():
    con = _db(INCIDENTS, MODES)
    # The default window is two years: C, 275 days after B, repeats it.
    assert repeats.DEFAULT_WINDOW_DAYS == 730 and repeats.DEFAULT_WINDOW_TEXT == "two years"
    assert pairs(repeats.find_repeats(con)) == {
        ("B", "A", "expiry", "checkout", 60), ("F", "E", "hardware", "checkout", 12), ("C", "B", "expiry", "checkout", 275),
    }
    assert pairs(repeats.find_repeats(con, window_days=180)) == {
        ("B", "A", "expiry", "checkout", 60), ("F", "E", "hardware", "checkout", 12),
    }


def test_window_is_configurable_and_only_the_most_recent_earlier_incident_is_linked():
    con = _db(INCIDENTS, MODES)
    got = pairs(repeats.find_repeats(con, window_days=400))
    assert ("C", "B", "expiry", "checkout", 275) in got
    assert ("C", "A", "expiry", "checkout", 335) not in got  # the chain is A <- B <- C
    assert pairs(repeats.find_repeats(con, window_days=30)) == {("F", "E", "hardware", "checkout", 12)}


def test_no_mode_never_makes_a_repeat_and_a_second_write_up_is_not_a_repeat():
    # H: same mode, same service, same start as A: one incident written up twice (as icco holds
    # Knight Capital's and Travis CI's), not an incident that repeated itself 0 days later
    con = _db(INCIDENTS + [("H", "checkout", datetime(2024, 1, 1, 10))], MODES + [("H", "expiry", 1.0)])
    got = pairs(repeats.find_repeats(con))
    assert not any("G" in (p[0], p[1]) for p in got)
    assert not any("H" in (p[0], p[1]) for p in got)  # A, first by id, stands for both
    assert ("B", "A", "expiry", "checkout", 60) in got
    # a day apart is a repeat, however close
    con = _db(INCIDENTS + [("H", "checkout", datetime(2024, 1, 2, 10))], MODES + [("H", "expiry", 1.0)])
    got = pairs(repeats.find_repeats(con))
    assert ("H", "A", "expiry", "checkout", 1) in got and ("B", "H", "expiry", "checkout", 59) in got


def test_a_shared_pattern_is_named_on_the_repeat():
    con = _db(INCIDENTS, MODES, patterns=[("A", 1), ("B", 1)])
    got = repeats.find_repeats(con)
    assert got.loc[got.incident_id == "B", "theme_id"].tolist() == [1]
    assert got.loc[got.incident_id == "F", "theme_id"].isna().all()


def test_write_repeats_fills_the_table():
    con = _db(INCIDENTS, MODES)
    assert write_repeats(con) == 3
    assert con.execute("SELECT count(*) FROM repeat_incidents").fetchone()[0] == 3
    assert write_repeats(con, window_days=180) == 2


def test_recurred_after_fix_needs_all_actions_done_before_the_recurrence_on_the_same_service():
    actions = [
        ("A", "done", date(2024, 2, 1)),
        ("A", "done", date(2024, 1, 20)),  # A (checkout) fixed by 2024-02-01, before B and C
        ("D", "done", date(2024, 2, 1)),
        ("D", "open", None),  # D not fixed
    ]
    con = _db(INCIDENTS, MODES, actions)
    got = repeats.recurrence_rows(con)
    assert set(zip(got["incident_id"], got["fixed_incident_id"])) == {("B", "A"), ("C", "A")}
    assert list(repeats.recurrence_rows(con, mode="hardware")["incident_id"]) == []


def test_a_fix_on_another_service_does_not_count():
    # D (search) is fixed; B and C are on checkout.
    con = _db(INCIDENTS, MODES, [("D", "done", date(2024, 2, 1))])
    assert repeats.recurrence_rows(con).empty


def test_wont_fix_is_not_a_fix_and_late_fixes_do_not_count():
    actions = [("A", "wont_fix", date(2024, 1, 10)), ("B", "done", date(2024, 6, 1))]
    con = _db(INCIDENTS, MODES, actions)
    got = repeats.recurrence_rows(con)
    # A declined its fix; B's fix was due 2024-06-01, so only C (December) came after it.
    assert set(zip(got["incident_id"], got["fixed_incident_id"])) == {("C", "B")}


def test_a_fix_due_after_the_recurrence_does_not_count():
    # A's only item is done but due 2024-03-15, after B (2024-03-01): B does not count; C (December) does.
    con = _db(INCIDENTS, MODES, [("A", "done", date(2024, 3, 15))])
    got = repeats.recurrence_rows(con)
    assert set(zip(got["incident_id"], got["fixed_incident_id"])) == {("C", "A")}
    assert str(got["fixed_at"].iloc[0])[:10] == "2024-03-15"
    # an incident with no action items at all was never fixed
    assert repeats.recurrence_rows(_db(INCIDENTS, MODES)).empty


def test_the_latest_fix_before_the_recurrence_is_named_and_ties_go_to_the_smaller_id():
    incidents = [("Z", "s", datetime(2024, 1, 1)), ("Y", "s", datetime(2024, 1, 1)), ("W", "s", datetime(2024, 1, 2)),
                 ("X", "s", datetime(2024, 5, 1))]
    actions = [("Z", "done", date(2024, 2, 1)), ("Y", "done", date(2024, 2, 1)), ("W", "done", date(2024, 1, 10))]
    con = _db(incidents, [(i, "expiry", 1.0) for i in "ZYWX"], actions)
    got = repeats.recurrence_rows(con)
    # X: Y and Z fixed 2024-02-01 (latest, tie -> Y); Y, Z: W fixed 2024-01-10, after them, so not counted
    assert set(zip(got["incident_id"], got["fixed_incident_id"])) == {("X", "Y")}


def test_an_incident_on_two_services_recurs_once_per_mode_with_the_latest_fix():
    incidents = [("P", "a", datetime(2024, 1, 1)), ("Q", "b", datetime(2024, 2, 1)), ("R", "a+b", datetime(2024, 6, 1))]
    actions = [("P", "done", date(2024, 1, 5)), ("Q", "done", date(2024, 2, 5))]
    con = _db(incidents, [(i, "expiry", 1.0) for i in "PQR"], actions)
    got = repeats.recurrence_rows(con)
    assert got[["incident_id", "fixed_incident_id", "service"]].values.tolist() == [["R", "Q", "b"]]
