"""JSON, JSONL and CSV exports: one incident per record, bad records reported, good ones kept."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from pipelines.model import IngestError
from pipelines.parsing.files import parse_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "postmortems"


def parse(name: str):
    return parse_file((FIXTURES / name).read_bytes(), f"exports/{name}")


def test_jsonl_export_loads_good_records_and_reports_bad_lines() -> None:
    parsed = parse("export.jsonl")
    assert [i.incident_id for i in parsed.incidents[:2]] == ["EXP-1", "EXP-2"]
    assert parsed.errors == [
        ("exports/export.jsonl:3", "line 3: not valid JSON: Expecting value: line 1 column 26 (char 25)"),
        ("exports/export.jsonl:4", "line 4: expected a JSON object per incident, got list"),
    ]
    assert [i.source_path for i in parsed.incidents] == [
        "exports/export.jsonl:1", "exports/export.jsonl:2", "exports/export.jsonl:6",
    ]
    assert all(i.source_format == "jsonl" for i in parsed.incidents)


def test_jsonl_record_with_markdown_body() -> None:
    inc = parse("export.jsonl").incidents[0]
    assert (inc.title, inc.date, inc.severity, inc.severity_raw) == (
        "DNS resolution failures in us-east", date(2024, 4, 1), "SEV2", "high",
    )
    assert (inc.services, inc.team) == (["dns", "edge"], "Network")
    assert [(s.kind, s.heading) for s in inc.sections] == [
        ("summary", "Summary"), ("root_cause", "Root cause"), ("action_items", "Action items"),
    ]
    assert [(a.text, a.owner, a.status) for a in inc.action_items] == [("Validate resolver configs in CI", "net.oncall", "open")]
    assert [f.text for f in inc.factors] == ["A resolver config push removed the forwarders."]
    assert inc.summary == "Internal DNS lookups failed for 20 minutes."


def test_jsonl_record_with_section_keys_and_structured_lists() -> None:
    inc = parse("export.jsonl").incidents[1]
    # Keys are case-insensitive: "ID", "Title", "Sev".
    assert (inc.incident_id, inc.title, inc.severity, inc.severity_raw) == ("EXP-2", "Image uploads rejected", "SEV4", "4")
    assert inc.services == ["media"]
    assert (inc.restricted, inc.allowed_groups) == (True, ["media-leads"])
    assert [s.kind for s in inc.sections] == ["summary", "root_cause", "timeline", "action_items"]
    assert [(e.at, e.raw_time, e.text) for e in inc.timeline] == [
        (datetime(2024, 4, 3, 12, 0), "2024-04-03T12:00:00Z", "Upload errors begin"),
        (datetime(2024, 4, 3, 12, 45), "2024-04-03T12:45:00Z", "Config reverted, resolved"),
    ]
    assert (inc.started_at, inc.resolved_at) == (datetime(2024, 4, 3, 12, 0), datetime(2024, 4, 3, 12, 45))
    assert [(a.text, a.owner, a.due_date, a.status, a.priority, a.ticket) for a in inc.action_items] == [
        ("Add a large-upload test", "kai", date(2024, 5, 1), "in_progress", "P2", "MED-12"),
        ("Own the shared proxy config", None, None, "done", None, None),
    ]
    assert [(f.source_section, f.text) for f in inc.factors] == [
        ("root_cause", "The proxy body-size limit was lowered by a shared config change."),
        ("root_cause", "No test covered large uploads."),
    ]
    assert "## Contributing factors" in inc.raw_text  # the linter sees the rendered document


def test_jsonl_record_without_id_gets_stable_path_id() -> None:
    a = parse("export.jsonl").incidents[2]
    b = parse("export.jsonl").incidents[2]
    assert a.incident_id == b.incident_id and a.incident_id.startswith("export-6-")
    assert a.title == "Queue consumer stalled"
    assert [f.text for f in a.factors] == ["The consumer stalled because a poison message was retried forever."]


def test_csv_export_rows_with_multiline_cells_and_json_cells() -> None:
    parsed = parse("export.csv")
    assert parsed.errors == []
    one, two = parsed.incidents
    assert (one.incident_id, one.source_path, two.source_path) == ("CSV-1", "exports/export.csv:2", "exports/export.csv:4")
    assert (one.severity, one.services, one.team, one.date) == ("SEV3", ["scheduler", "billing"], "Platform", date(2024, 7, 7))
    assert one.summary == "Two scheduler replicas both believed they were the leader. Some invoices were sent twice."
    assert [(a.text, a.owner, a.status) for a in one.action_items] == [
        ("Use the coordination service for leader election", "ravi", "done"),
    ]
    assert [f.text for f in one.factors] == ["The leader lease was not renewed because of clock skew."]
    assert (two.severity, two.severity_raw, two.action_items) == ("SEV3", "minor", [])
    assert one.source_format == "csv"


def test_json_wrapper_object_with_incidents_array() -> None:
    parsed = parse("export.json")
    one, two = parsed.incidents
    assert (one.incident_id, one.source_path, one.services) == ("JSON-1", "exports/export.json:1", ["flags"])
    assert [s.kind for s in one.sections] == ["summary", "trigger", "lessons_learned"]
    assert [(f.source_section, f.text) for f in one.factors] == [
        ("trigger", "A cache warmup job was deployed without its config file."),
    ]
    # Unknown severities keep what was written and normalize to None.
    assert (two.severity, two.severity_raw) == (None, "unknown-level")
    assert [(f.source_section, f.text) for f in two.factors] == [
        ("what_went_poorly", "The migration plan skipped the write-ahead buffer."),
    ]


def test_single_json_object_is_one_incident() -> None:
    parsed = parse_file(b'{"id": "A-1", "title": "One", "root_cause": "A disk filled up overnight."}', "a.json")
    assert [i.incident_id for i in parsed.incidents] == ["A-1"]
    assert parsed.incidents[0].source_path == "a.json"


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"{not json", "a.json", "not valid JSON"),
        (b"42", "a.json", "expected a JSON object or an array"),
        (b'{"foo": 1}', "a.json", "nothing to load"),
        (b"not json\nstill not\n", "a.jsonl", "none of its 2 records could be loaded; first problem: line 1"),
        (b"colour,flavour\nred,sweet\n", "a.csv", "CSV header names no known column"),
    ],
)
def test_exports_that_cannot_load_raise_a_clear_error(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(IngestError, match=reason):
        parse_file(data, name)


def test_danluu_style_keys_map_to_title_body_and_tags() -> None:
    line = (
        b'{"id": "dl-1", "company": "Acme", "title_or_first_sentence": "A bad config took down the API.",'
        b' "text": "A bad config took down the API. It was rolled back.", "labels": ["config-errors"],'
        b' "url": "https://example.com/pm", "year_hint": 2019}\n'
    )
    inc = parse_file(line, "danluu.jsonl").incidents[0]
    assert (inc.incident_id, inc.title, inc.tags, inc.url) == (
        "dl-1", "A bad config took down the API.", ["config-errors"], "https://example.com/pm",
    )
    assert inc.date is None  # a year hint is not a date
    assert [f.text for f in inc.factors] == ["A bad config took down the API."]


def test_nested_metadata_object_is_read() -> None:
    line = b'{"title": "Outer", "metadata": {"Severity": "P2", "services": ["api"], "title": "Inner"}, "summary": "A disk filled."}\n'
    inc = parse_file(line, "n.jsonl").incidents[0]
    assert (inc.title, inc.severity, inc.services) == ("Outer", "SEV2", ["api"])


def test_csv_record_with_an_unterminated_quote_is_an_error_naming_its_line() -> None:
    # Python's csv reader reads an open quote to the end of the file: without the strict reader
    # the last three lines would load as one garbage incident.
    data = b'id,title,severity\nC-1,Fine,SEV2\nC-2,"unterminated,SEV1\nC-3,After it,SEV3\nC-4,Last,SEV4\n'
    parsed = parse_file(data, "x.csv")
    assert [(i.incident_id, i.severity, i.source_path) for i in parsed.incidents] == [
        ("C-1", "SEV2", "x.csv:2"), ("C-3", "SEV3", "x.csv:4"), ("C-4", "SEV4", "x.csv:5"),
    ]
    assert len(parsed.errors) == 1
    path, reason = parsed.errors[0]
    assert path == "x.csv:3" and reason.startswith("line 3: a quoted cell is never closed")


def test_csv_unterminated_quote_on_the_last_record_and_a_row_with_extra_cells() -> None:
    data = b'id,title,severity\nC-1,Fine,SEV2\nC-2,a,b,c,d\nC-3,"unterminated,SEV1\n'
    parsed = parse_file(data, "x.csv")
    assert [i.incident_id for i in parsed.incidents] == ["C-1"]
    assert [(p, r.split(":")[0]) for p, r in parsed.errors] == [("x.csv:3", "line 3"), ("x.csv:4", "line 4")]
    assert "5 cells but the header has 3 columns" in parsed.errors[0][1]


def test_csv_quoted_cells_may_still_span_lines() -> None:
    data = b'id,title,summary\nC-1,Two lines,"first line\nsecond line"\nC-2,Next,ok\n'
    parsed = parse_file(data, "x.csv")
    assert parsed.errors == []
    assert [(i.incident_id, i.source_path) for i in parsed.incidents] == [("C-1", "x.csv:2"), ("C-2", "x.csv:4")]


def test_jsonl_truncated_record_is_an_error_naming_its_line_and_the_rest_load() -> None:
    data = b'{"id": "J-1", "title": "One"}\n{"id": "J-2", "title": "cut off\n{"id": "J-3", "title": "Three"}\n'
    parsed = parse_file(data, "x.jsonl")
    assert [i.incident_id for i in parsed.incidents] == ["J-1", "J-3"]
    assert [p for p, _ in parsed.errors] == ["x.jsonl:2"]
    assert parsed.errors[0][1].startswith("line 2: not valid JSON")
