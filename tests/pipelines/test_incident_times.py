"""Incident times from timelines and prose, zones, year-less and ambiguous dates, and where each
time came from (tests/fixtures/realstyle/README.md, "Times")."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.lint.checks import lint_incident
from pipelines.parsing import incident_times as it
from pipelines.parsing.files import parse_file
from tests.pipelines.realstyle import load, name_of, truth, utc

TIMES = ("started_at", "detected_at", "resolved_at")

# (file, the convention it covers, where started/detected/resolved are read from)
CONVENTIONS = [
    ("2023-03-07", "OUTAGE BEGINS / OUTAGE ENDS markers; start is not the campaign email", ("timeline",) * 3),
    ("2023-04-18", "Time | Event table in CEST; 'customer impact over' before 'Incident closed'", ("timeline",) * 3),
    ("2023-06-20", "prose only: 'from 10:42 to 12:19 US/Pacific', 'alerted ... at 10:51'", ("text",) * 3),
    ("2023-08-09", "front matter with +05:30 offsets", ("front_matter",) * 3),
    ("2023-09-12", "bold fields in BST; Mitigated '(customer impact ended)' is the end", ("metadata",) * 3),
    ("2023-11-22", "AWS letter, PST: UTC date is the next day", ("text",) * 3),
    ("2024-01-23", "'All times in CET.' over a wiki table; a person notices after an email to an empty list", ("metadata", "timeline", "metadata")),
    ("2024-02-06", "Azure 'How did we respond?' timeline; 'Customer impact began' after the config change", ("timeline",) * 3),
    ("2024-03-12", "debrief prose: ticket queue is not detection, 'end of customer impact'", ("text",) * 3),
    ("2024-05-14", "incident.io table: Impact ended, not Resolved at", ("metadata",) * 3),
    ("2024-06-04", "'first couriers report' is the start, the hub lead's page the detection", ("timeline",) * 3),
    ("2024-07-15", "a timeline over three days", ("text", "timeline", "timeline")),
    ("2024-08-08", "a timeline across midnight", ("metadata", "timeline", "metadata")),
    ("2024-10-27", "'21:00 (Sat 26 Oct)' before the day; Slack-only alert; impact over before resolved", ("text", "timeline", "timeline")),
    ("2024-11-19", "newest-first timeline in CET", ("text", "timeline", "timeline")),
    ("2024-12-31", "year-less Dec 31 / Jan 1 rollover; a warning nobody was paged for", ("text", "timeline", "timeline")),
    ("2025-01-21", "AEDT fields; the alert to an unwatched channel is not detection", ("metadata",) * 3),
    ("2025-02-11", "'Incident began at ... ended at ...' in US/Pacific; support emails are not detection", ("text",) * 3),
    ("2025-03-06", "MM/DD dates, PST lines around a 'Z' stamp", ("timeline",) * 3),
    ("2025-05-20", "Azure bold headings; customer reports are the start", ("timeline",) * 3),
    ("2025-07-01", "DD/MM dates settled by the file name; BST", ("text",) * 3),
    ("2025-07-15", "AWS letter in PDT; 'the last delayed delivery' ends the impact", ("text",) * 3),
    ("2025-09-04", "GitHub issue the day after: 'Yesterday (2025-09-03)' dates the timeline", ("text", "timeline", "timeline")),
    ("jsonl:3", "impact ended before the on-call learned of it", ("record",) * 3),
    ("csv:1", "Dispatch CSV: 'From about 09:20 UTC', Reported At, Stable At", ("text", "record", "record")),
]


@pytest.mark.parametrize(("prefix", "convention", "sources"), CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_realstyle_incident_times(prefix: str, convention: str, sources: tuple[str, str, str]) -> None:
    inc = load(prefix)
    expected = truth()[name_of(prefix)]
    assert tuple(getattr(inc, f) for f in TIMES) == tuple(utc(expected[f]) for f in TIMES), convention
    assert tuple(inc.field_sources[f].source for f in TIMES) == sources, convention


def test_every_realstyle_time_matches_the_truth() -> None:
    wrong = {
        (name, f): (str(getattr(load(name), f)), rec[f])
        for name, rec in truth().items()
        for f in TIMES
        if getattr(load(name), f) != utc(rec[f])
    }
    assert wrong == {}


def test_a_time_from_the_timeline_names_its_line() -> None:
    inc = load("2023-03-07")
    lines = (inc.raw_text.split("\n")[inc.field_sources[f].line - 1] for f in TIMES)
    assert [ln.split()[2] for ln in lines] == ["**OUTAGE", "Burn-rate", "**OUTAGE"]


@pytest.mark.parametrize(
    ("line", "zone_offset_hours"),
    [
        ("All times in CET.", 1), ("Times below are IST; the team covers the early shift.", 5.5),
        ("(all times are US/Pacific)", None), ("All times BST; everyone was in the office.", 1),
        ("Times are CET.", 1), ("We restarted at 10:00.", "none"),
    ],
)
def test_document_zone_declarations(line: str, zone_offset_hours) -> None:
    tz = it.document_zone(["# Title", "", line])
    if zone_offset_hours == "none":
        assert tz is None
    elif zone_offset_hours is None:
        assert tz is not None and str(tz) == "US/Pacific"
    else:
        assert tz.utcoffset(datetime(2024, 1, 1)).total_seconds() == zone_offset_hours * 3600


def test_detection_skips_events_that_reached_nobody() -> None:
    text = (
        b"# T\n\n## Timeline\n\n2024-05-02 (all times UTC)\n\n"
        b"- 10:00 errors begin for checkout\n"
        b"- 10:05 alert fires into #checkout-alerts (Slack only)\n"
        b"- 10:09 customers email support about failed orders\n"
        b"- 10:30 a ticket lands in the weekly-triaged queue\n"
        b"- 10:41 support lead pages the checkout on-call\n"
        b"- 11:00 error rate back to normal\n- 11:30 incident closed\n"
    )
    inc = parse_file(text, "x.md").incidents[0]
    assert (inc.started_at, inc.detected_at, inc.resolved_at) == (
        datetime(2024, 5, 2, 10, 0), datetime(2024, 5, 2, 10, 41), datetime(2024, 5, 2, 11, 0),
    )


def test_cues_are_data_and_a_team_file_adds_to_them(tmp_path, monkeypatch) -> None:
    cues = it.load_cues()
    assert cues.started.strong and cues.detected.veto and cues.resolved.closed and cues.prose["span"]
    team = tmp_path / "cues.toml"
    team.write_text("[started]\nstrong = ['\\bkaboom\\b']\n")
    monkeypatch.setenv(it.CUES_ENV, str(team))
    it.time_cues.cache_clear()
    try:
        text = b"# T\n\n## Timeline\n\n- 2024-05-02 09:00 deploy\n- 09:10 kaboom in the payments queue\n"
        assert parse_file(text, "x.md").incidents[0].started_at == datetime(2024, 5, 2, 9, 10)
    finally:
        monkeypatch.delenv(it.CUES_ENV)
        it.time_cues.cache_clear()


def test_a_bad_cue_is_an_error_naming_it(tmp_path) -> None:
    team = tmp_path / "cues.toml"
    team.write_text("[detected]\nstrong = ['(unclosed']\n")
    with pytest.raises(ValueError, match=r"\[detected\].*\(unclosed"):
        it.load_cues(team)


# ---- ambiguous numeric dates -------------------------------------------------------------------


def test_month_first_dates_settled_by_the_document() -> None:
    inc = load("2025-03-06")  # "dates below are US style (MM/DD)", and 03/13/2025 elsewhere
    assert inc.timeline[0].at == datetime(2025, 3, 7, 2, 25) and inc.notes == []


def test_day_first_dates_settled_by_the_file_name() -> None:
    inc = load("2025-07-01")  # "Incident date: 01/07/2025" in a file named 2025-07-01-...
    assert inc.date.isoformat() == "2025-07-01" and inc.notes == []


def test_a_part_above_twelve_settles_the_order() -> None:
    text = b"# T\n\nDate: 04/05/2024\n\n## Timeline\n\n- 04/05/2024 10:00 errors begin\n- 13/05/2024 review\n"
    inc = parse_file(text, "x.md").incidents[0]
    assert inc.date.isoformat() == "2024-05-04" and inc.notes == []


def test_an_undecided_date_is_a_lint_finding_not_a_silent_guess() -> None:
    text = b"# Checkout errors\n\nDate: 03/04/2025\n\n## Timeline\n\n- 03/04/2025 10:00 errors begin\n"
    inc = parse_file(text, "notes.md").incidents[0]
    assert [(n.rule, n.line) for n in inc.notes] == [("timeline/ambiguous-date", 3)]
    assert "4 Mar or 3 Apr" in inc.notes[0].message
    findings = [f for f in lint_incident(inc).findings if f.rule == "timeline/ambiguous-date"]
    assert [(f.severity, f.line) for f in findings] == [("warning", 3)]


def test_a_dotted_date_anchors_a_year_less_slash_date() -> None:
    # "04.03.2025" is day first; so the timeline's "3/4" is 4 March, month first.
    text = b"# SMS outage\n\nDate: 04.03.2025\n\n## Timeline\n\n3/4 13:50 first failed sends to one carrier\n3/4 14:20 paged\n"
    inc = parse_file(text, "sms.md").incidents[0]
    assert (inc.started_at, inc.detected_at, inc.notes) == (datetime(2025, 3, 4, 13, 50), datetime(2025, 3, 4, 14, 20), [])


def test_the_title_date_places_a_timeline_written_the_next_day() -> None:
    text = b"# Postmortem: sign-in failures on 2025-04-15\n\n### Timeline (UTC)\n\n- 10:03 first errors from the session store\n- 10:11 alert pages @zl\n- 11:15 error rate back to normal\n"
    inc = parse_file(text, "2025-04-16-gh-sessions.md").incidents[0]
    assert (inc.started_at, inc.detected_at, inc.resolved_at) == (
        datetime(2025, 4, 15, 10, 3), datetime(2025, 4, 15, 10, 11), datetime(2025, 4, 15, 11, 15),
    )


def test_a_bullet_opening_with_a_day_is_a_timeline_entry() -> None:
    text = b"# T\n\n## Timeline\n\n- 2024-04-30 09:05 refunds start failing\n- 2024-05-02 recovery of the duplicates started\n"
    inc = parse_file(text, "x.md").incidents[0]
    assert [(e.at, e.raw_time) for e in inc.timeline] == [(datetime(2024, 4, 30, 9, 5), "2024-04-30 09:05"), (None, "2024-05-02")]


def test_a_person_posting_in_the_on_call_channel_is_detection_but_an_alert_posting_to_slack_is_not() -> None:
    text = (
        b"# T\n\n## Timeline\n\n- 2024-04-30 09:05 refunds start failing\n- 09:30 alert posts to #payments-alerts\n"
        b"- 12:40 @ana (finance) posts in #money-oncall that refunds doubled\n- 13:10 worker scaled to 0, error rate back to normal\n"
    )
    inc = parse_file(text, "x.md").incidents[0]
    assert inc.detected_at == datetime(2024, 4, 30, 12, 40)


def test_a_mitigated_field_with_a_dash_note_ends_the_impact() -> None:
    text = b"# T\n\n**Started:** 2026-02-03 08:40 CET\n**Mitigated:** 2026-02-03 10:20 CET \xe2\x80\x94 customer impact over\n**Resolved:** 2026-02-03 11:05 CET\n\n## Summary\n\nPods stuck.\n"
    inc = parse_file(text, "x.md").incidents[0]
    assert (inc.resolved_at, inc.field_sources["resolved_at"].source) == (datetime(2026, 2, 3, 9, 20), "metadata")


def test_a_span_of_responder_work_is_not_the_span_of_impact() -> None:
    text = (
        b"# Summary of the Booking Disruption\n\nAt 6:03 AM PST the worker began scaling up. The Booking API began returning errors to customers at 6:04 AM PST. "
        b"Engineers cleared the stuck holds in batches between 7:40 AM and 8:30 AM PST. In total, 23% of bookings failed between 6:04 AM and 8:41 AM PST.\n"
    )
    inc = parse_file(text, "2024-11-29-letter.md").incidents[0]
    assert (inc.started_at, inc.resolved_at) == (datetime(2024, 11, 29, 14, 4), datetime(2024, 11, 29, 16, 41))


def test_a_severity_key_with_words_after_it_is_still_the_severity() -> None:
    inc = parse_file(b"# Debrief\n\nSeverity at the time: Sev 2\n\n## Summary\n\nIt broke.\n", "x.md").incidents[0]
    assert (inc.severity, inc.field_sources["severity"].source) == ("SEV2", "metadata")


def test_status_page_updates_are_a_timeline_with_its_labels_read() -> None:
    record = (
        b'{"id": "st-1", "title": "Incident on 2011-01-03", "text": "[resolved] - 2011-01-03 16:39:00 - Intermittent errors '
        b'on pushes. We\'re investigating. \\n- 2011-01-03 18:03:00 - A load balancer failed. \\n- 2011-01-03 19:56:00 - '
        b'Everything is working again.", "labels": ["impact:major", "component:Git Operations"]}\n'
    )
    inc = parse_file(record, "status.jsonl").incidents[0]
    assert [(e.at, e.text[:20]) for e in inc.timeline] == [
        (datetime(2011, 1, 3, 16, 39), "Intermittent errors "), (datetime(2011, 1, 3, 18, 3), "A load balancer fail"),
        (datetime(2011, 1, 3, 19, 56), "Everything is workin"),
    ]
    assert (inc.severity, inc.services) == ("SEV2", ["Git Operations"])
    assert (inc.started_at, inc.detected_at, inc.resolved_at) == (None, datetime(2011, 1, 3, 16, 39), datetime(2011, 1, 3, 19, 56))
    assert {f: inc.field_sources[f].source for f in ("severity", "services", "detected_at", "resolved_at")} == {
        "severity": "label", "services": "label", "detected_at": "timeline", "resolved_at": "timeline",
    }
