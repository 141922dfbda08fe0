"""parse_file: decoding, dispatch, clear errors, robustness on arbitrary input, real corpora."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.parsing.metadata import normalize_severity, parse_date, parse_datetime
from pipelines.model import IngestError
from pipelines.parsing.files import MAX_MARKDOWN_BYTES, SUPPORTED_SUFFIXES, ParsedFile, parse_file
from pipelines.parsing.sections import classify_heading
from pipelines.parsing.timeline import extract_timeline, parse_time_text
from tests.conftest import SHARED, require

DOC = "---\ntitle: Ünïcode naïve café outage\nseverity: SEV2\n---\n\n## Summary\n\nJosé's résumé service failed.\n"


def test_supported_suffixes() -> None:
    assert {".md", ".markdown", ".json", ".jsonl", ".ndjson", ".csv"} <= SUPPORTED_SUFFIXES


@pytest.mark.parametrize(
    "data",
    [
        DOC.encode(),
        b"\xef\xbb\xbf" + DOC.encode(),
        DOC.replace("\n", "\r\n").encode(),
        b"\xef\xbb\xbf" + DOC.replace("\n", "\r\n").encode(),
        DOC.replace("\n", "\r").encode(),
        DOC.encode("utf-16"),
    ],
    ids=["utf8", "bom", "crlf", "bom+crlf", "cr", "utf16-bom"],
)
def test_encodings_and_line_endings_give_the_same_incident(data: bytes) -> None:
    inc = parse_file(data, "a.md").incidents[0]
    assert inc.title == "Ünïcode naïve café outage"
    assert inc.severity == "SEV2"
    assert [(s.kind, s.body, s.line) for s in inc.sections] == [("summary", "José's résumé service failed.", 6)]
    assert "\r" not in inc.raw_text and not inc.raw_text.startswith("\ufeff")


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "a.md", "empty file"),
        (b"  \n\n\t\n", "a.md", "empty file"),
        (b"\xef\xbb\xbf", "a.md", "empty file"),
        (b"# Title\n\xff\xfe broken \x80 bytes", "a.md", r"not UTF-8 text: byte 0xff at line 2"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a.md", "binary file"),
        (b"# x", "notes.txt", "unsupported file type '.txt'"),
        (b"# x", "Makefile", "unsupported file type"),
    ],
)
def test_unloadable_files_raise_clear_ingest_errors(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(IngestError, match=reason):
        parse_file(data, name)


def test_size_cap_names_the_limit() -> None:
    big = b"# Big\n\n" + b"x" * (MAX_MARKDOWN_BYTES + 1)
    with pytest.raises(IngestError, match=r"over the 5 MB limit"):
        parse_file(big, "big.md")


def test_very_long_file_under_the_cap_loads() -> None:
    body = "\n".join(f"- 2024-01-01 {h % 24:02d}:{h % 60:02d} UTC step {h}" for h in range(5_000))
    inc = parse_file(f"# Long\n\n## Timeline\n\n{body}\n".encode(), "long.md").incidents[0]
    assert len(inc.timeline) == 5_000


def test_suffix_is_case_insensitive_and_records_get_numbered_paths() -> None:
    parsed = parse_file(b'{"title": "a"}\n{"title": "b"}\n', "dir/EXPORT.JSONL")
    assert [i.source_path for i in parsed.incidents] == ["dir/EXPORT.JSONL:1", "dir/EXPORT.JSONL:2"]


def test_document_with_only_front_matter_uses_its_summary() -> None:
    inc = parse_file(b"---\ntitle: Only metadata\nsummary: A cache expired early.\n---\n", "a.md").incidents[0]
    assert [(s.kind, s.body) for s in inc.sections] == [("summary", "A cache expired early.")]


# ---- robustness (hypothesis) ---------------------------------------------------------------

_fragments = st.sampled_from(
    [
        "---\n", "title: x\n", "severity: P1\n", "date: 2024-13-45\n", "# Title\n", "## Timeline\n",
        "## Action items\n", "## Root cause\n", "**Impact:** y\n", "- 14:02 UTC outage begins\n",
        "- [x] done thing @bob (due 2024-02-30)\n", "| Time | Event |\n", "|---|---|\n", "| 25:99 | x |\n",
        "```\n", "===\n", "2:61 PM PDT\n", "- [ ] \n", "Root cause:\n", "\n", "| a |\n", "Tuesday, Feb 30\n",
        "* **09:00** -\n", "[WONTFIX]\n", "1. Why? Because.\n", "+++\n", "key = 'v'\n", "- \n", "#\n",
    ]
)
_markdownish = st.lists(st.one_of(_fragments, st.text(max_size=40)), max_size=30).map("".join)


def _check(data: bytes, name: str) -> None:
    try:
        parsed = parse_file(data, name)
    except IngestError as exc:
        assert str(exc)
        return
    assert isinstance(parsed, ParsedFile)
    assert parsed.incidents, "a ParsedFile without incidents must be an IngestError instead"
    for inc in parsed.incidents:
        assert inc.incident_id
        assert inc.title or inc.sections


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)))
def test_arbitrary_bytes_give_incidents_or_ingest_error(data: bytes, suffix: str) -> None:
    _check(data, f"x{suffix}")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_markdownish)
def test_arbitrary_markdownish_text_never_crashes(text: str) -> None:
    _check(text.encode("utf-8", "surrogatepass"), "x.md")


@settings(max_examples=100, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(["id", "title", "severity", "date", "body", "timeline", "action_items", "services", "x"]),
            st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.one_of(st.text(max_size=10), st.dictionaries(st.text(max_size=5), st.text(max_size=10), max_size=3)), max_size=3)),
            max_size=6,
        ),
        max_size=5,
    )
)
def test_arbitrary_json_records_never_crash(records: list[dict]) -> None:
    _check("\n".join(json.dumps(r) for r in records).encode(), "x.jsonl")
    _check(json.dumps(records).encode(), "x.json")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60), day=st.one_of(st.none(), st.dates()))
def test_time_and_date_parsers_never_raise(text: str, day: date | None) -> None:
    for value in (parse_datetime(text), parse_datetime(text, default_date=day), parse_time_text(text, day)):
        assert value is None or (value.tzinfo is None and 1000 <= value.year <= 2101)
    parse_date(text)
    normalize_severity(text)
    classify_heading(text)
    extract_timeline(text, 1, day, text)


# ---- real public corpora (skipped when ../shared is absent on a user machine; required in CI) ---


def test_every_icco_postmortem_loads_with_title_and_section() -> None:
    folder = SHARED / "corpora" / "icco"
    files = sorted(folder.glob("*.md")) if folder.is_dir() else []
    require(files, f"the shared icco corpus is not at {folder} (../shared is for developers and CI)")
    assert len(files) == 242
    for path in files:
        parsed = parse_file(path.read_bytes(), f"icco/{path.name}")
        (inc,) = parsed.incidents
        assert inc.title, path.name
        assert inc.sections, path.name
        assert inc.incident_id == path.stem  # the uuid front matter key is the id


def test_danluu_jsonl_loads_as_an_export() -> None:
    path = SHARED / "corpora" / "danluu.jsonl"
    require(path.is_file(), f"the shared danluu corpus is not at {path} (../shared is for developers and CI)")
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    parsed = parse_file(path.read_bytes(), "danluu.jsonl")
    assert parsed.errors == []
    assert len(parsed.incidents) == len(lines)
    first = json.loads(lines[0])
    inc = parsed.incidents[0]
    assert (inc.incident_id, inc.title, inc.url) == (first["id"], first["title_or_first_sentence"], first["url"])
    assert inc.tags == first["labels"]
    assert all(i.title and i.sections for i in parsed.incidents)


_FLOOD_UNITS = [
    b" ", b"*", b"_", b"`", b"[", b"(", b"|", b":", b"#", b"@", b".", b"-", b"~~", b"**a", b"[](", b": ",
    b"- ", b"| ", b":-: | ", b"P1 ", b"due ", b"by ", b"owner: ", b"12:00 ", b"A-1 ", b"#1 ", b"because ", b"<!--",
]


@pytest.mark.parametrize("unit", _FLOOD_UNITS, ids=[u.decode() for u in _FLOOD_UNITS])
def test_long_runs_of_one_token_stay_linear(unit: bytes) -> None:
    """A 10 KB run of one token in every kind of place; a quadratic regex would take many
    seconds here (a `P1 P1 ...` run once took 38 s at 20 KB)."""
    import time

    payload = (unit * (10_000 // len(unit)))[:10_000]
    docs = [b"# T\n\n## " + sec + b"\n\nA | B\n" + payload + b"x\n- " + payload + b"\n" for sec in (b"Timeline", b"Action items", b"Root cause")]
    docs.append(b"---\ntitle: " + payload + b"\n---\n## " + payload + b"\n\n**" + payload + b":** x\nSeverity: " + payload + b"\n")
    for doc in docs:
        # CPU seconds, best of two: a linear parse of 10 KB takes milliseconds; quadratic ones took seconds.
        elapsed = []
        for _ in range(2):
            started = time.process_time()
            _check(doc, "flood.md")
            elapsed.append(time.process_time() - started)
        assert min(elapsed) < 2.0


def _best_time(doc: bytes, repeat: int = 3) -> float:
    import time

    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        _check(doc, "many.md")
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize("line", [b"Root cause:", b"**a**", b"### a", b"**Root cause:** x"])
def test_many_merged_sub_headings_stay_linear(line: bytes) -> None:
    """Thousands of sub-headings joining one section (each once re-joined the whole body).
    Compared by growth, best of three, so a busy machine does not fail it: 4x the lines may
    cost about 4x the time, a quadratic join costs 16x."""
    small = _best_time(b"# T\n\n## Timeline\n\n" + (line + b"\n") * 2_000)
    large = _best_time(b"# T\n\n## Timeline\n\n" + (line + b"\n") * 8_000)
    assert large < 9 * max(small, 0.005)
