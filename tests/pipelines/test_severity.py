"""Severity: the mapping as data (severity.toml), a team's override, and every place a postmortem
states its severity (tests/fixtures/realstyle/README.md, "Severity")."""

from __future__ import annotations

import pytest

from pipelines.parsing import severity as sev
from pipelines.parsing.files import parse_file
from pipelines.parsing.severity import claims_in_line, load_severity_map, normalize_severity
from tests.pipelines.realstyle import load, name_of, truth


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("Critical", "SEV1"), ("High", "SEV2"), ("Major", "SEV2"), ("Medium", "SEV3"), ("Moderate", "SEV3"),
        ("Minor", "SEV3"), ("Low", "SEV4"), ("S2", "SEV2"), ("SEV-1", "SEV1"), ("sev/3", "SEV3"),
        ("severity::3", "SEV3"), ("Level 2 (Major)", "SEV2"), ("Level 3 (Moderate)", "SEV3"), ("P2", "SEV2"),
        ("SEV0", "SEV1"), (3, "SEV3"), ("teal", None),
    ],
)
def test_default_map_reads_words_numbers_and_prefixes(raw: object, level: str | None) -> None:
    assert normalize_severity(raw)[0] == level


def test_the_default_map_is_the_documented_toml_file() -> None:
    smap = load_severity_map()
    assert sev.DEFAULT_SEVERITY_PATH.name == "severity.toml"
    assert {smap.words[w] for w in ("critical", "major", "minor", "low")} == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert smap.numbers[0] == smap.numbers[1] == "SEV1"
    assert "p" in smap.priority_prefixes and "raised" in smap.raise_verbs


def test_a_team_file_moves_words_and_numbers(tmp_path) -> None:
    team = tmp_path / "our-levels.toml"
    team.write_text('[words]\nSEV1 = ["high"]\nSEV4 = ["cosmetic", "meh"]\n[numbers]\n"0" = "SEV1"\n"4" = "SEV3"\n')
    smap = load_severity_map(team)
    assert smap.read("High") == ("SEV1", False)  # moved
    assert smap.read("meh") == ("SEV4", False)  # added
    assert smap.read("Major") == ("SEV2", False)  # untouched
    assert smap.read("Sev 4") == ("SEV3", False)


def test_the_environment_variable_names_the_team_file(tmp_path, monkeypatch) -> None:
    team = tmp_path / "levels.toml"
    team.write_text('[words]\nSEV1 = ["high"]\n')
    monkeypatch.setenv(sev.SEVERITY_MAP_ENV, str(team))
    sev.severity_map.cache_clear()
    sev._read_cached.cache_clear()
    try:
        inc = parse_file(b"# T\n\nSeverity: High\n\n## Summary\n\nIt broke.\n", "x.md").incidents[0]
        assert inc.severity == "SEV1"
    finally:
        monkeypatch.delenv(sev.SEVERITY_MAP_ENV)
        sev.severity_map.cache_clear()
        sev._read_cached.cache_clear()
    assert normalize_severity("High")[0] == "SEV2"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('[words]\nSEV9 = ["x"]\n', "level must be one of SEV1"),
        ('[numbers]\n"12" = "SEV1"\n', "single digits"),
        ("[words\n", "not valid TOML"),
    ],
)
def test_a_broken_team_file_is_an_error_naming_it(tmp_path, content: str, error: str) -> None:
    team = tmp_path / "bad.toml"
    team.write_text(content)
    with pytest.raises(ValueError, match=error) as exc:
        load_severity_map(team)
    assert "bad.toml" in str(exc.value)


# One case per convention in the realstyle README: (file, severity, where it was read).
CONVENTIONS = [
    ("2023-08-09", "SEV3", "front_matter"),  # severity: SEV-3
    ("2024-09-17", "SEV3", "front_matter"),  # severity: 3
    ("2024-04-16", "SEV1", "front_matter"),  # severity: critical
    ("2023-03-07", "SEV2", "metadata"),  # Severity: S2 line
    ("2025-07-01", "SEV2", "metadata"),  # - Severity: High bullet
    ("2024-06-04", "SEV2", "metadata"),  # ### Severity heading, value on the next line
    ("2025-03-06", "SEV1", "title"),  # (SEV-1, 2025-03-06) in the title
    ("2024-11-19", "SEV2", "label"),  # /label ~"severity::2"
    ("2024-12-31", "SEV3", "label"),  # bare severity::3
    ("2025-09-04", "SEV3", "label"),  # sev/3 in a Labels: line
    ("2023-06-20", "SEV2", "text"),  # priority only: "classified internally as P2"
    ("2024-07-15", "SEV3", "metadata"),  # priority only: Priority | P3
    ("2024-02-06", "SEV2", "metadata"),  # Level 2 (Major)
    ("2025-05-20", "SEV3", "metadata"),  # Level 3 (Moderate)
    ("2023-04-18", "SEV1", "metadata"),  # Critical
    ("2025-09-03", "SEV3", "metadata"),  # Minor
    ("2024-10-27", "SEV2", "timeline"),  # Time in SEV-n table and "raised to SEV-2" agree
    ("2024-05-14", "SEV2", "timeline"),  # "raised from Minor to Major": the final level
    ("2023-11-22", "SEV2", "text"),  # "declared a Severity 3 event ... raised the event to Severity 2"
    ("2025-02-11", "SEV2", "text"),  # "we treated this as a Severity 2 incident"
    ("2023-09-12", "SEV3", "metadata"),  # SEV3 beats Priority: P1
    ("2025-07-15", None, None),  # no indicator
    ("2024-01-23", None, None),
    ("2024-03-12", None, None),  # "We did not give this incident a severity"
    ("jsonl:2", "SEV2", "record"),  # "major"
    ("jsonl:3", "SEV3", "record"),  # JSON integer 3
    ("jsonl:4", "SEV2", "record"),  # "P2" in the severity field
    ("csv:1", "SEV3", "record"),  # Medium
    ("csv:4", "SEV1", "record"),  # Critical
]


@pytest.mark.parametrize(("prefix", "level", "source"), CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_realstyle_severity_conventions(prefix: str, level: str | None, source: str | None) -> None:
    inc = load(prefix)
    assert inc.severity == truth()[name_of(prefix)]["severity"] == level
    got = inc.field_sources.get("severity")
    assert (got.source if got else None) == source


def test_pagerduty_impact_table_highest_level_with_time_wins() -> None:
    text = (
        b"# Checkout slow\n\n## Impact\n\n| Time in SEV-1 | Time in SEV-2 | Time in SEV-3 |\n|---|---|---|\n"
        b"| 0m | 0m | 1h 10m |\n\nSlow pages.\n"
    )
    inc = parse_file(text, "x.md").incidents[0]
    assert (inc.severity, inc.field_sources["severity"].source, inc.field_sources["severity"].line) == ("SEV3", "metadata", 5)


def test_the_last_change_during_the_incident_wins_over_the_header() -> None:
    text = (
        b"# Bookings failing\n\nSeverity: Major\n\n## Timeline\n\n- 2024-05-02 10:00 errors begin\n"
        b"- 10:20 incident opened as Major\n- 10:45 severity raised from Major to Critical\n"
    )
    inc = parse_file(text, "x.md").incidents[0]
    assert (inc.severity, inc.severity_raw, inc.field_sources["severity"].source) == ("SEV1", "Critical", "timeline")


@pytest.mark.parametrize(
    "sentence",
    [
        "Had it lasted longer this would have been a SEV1.",
        "Should this have been a Severity 1?",
        "Error rates dropped to low levels during the incident.",
        "We raised the memory limit to 12 GiB.",
        "Escalated to level 2 support.",
    ],
)
def test_hypotheticals_and_other_levels_are_not_severity(sentence: str) -> None:
    assert claims_in_line(sentence, 1, "text") == []


def test_the_documented_mapping_is_the_data() -> None:
    """docs/parsing.md's severity table lists exactly the words and numbers of severity.toml."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "parsing.md").read_text(encoding="utf-8")
    smap = load_severity_map()
    for level in ("SEV1", "SEV2", "SEV3", "SEV4"):
        row = re.search(rf"^\| {level} \| ([^|]*) \| ([^|]*) \|$", doc, re.M)
        assert row is not None, level
        assert {w.strip() for w in row.group(1).split(",")} == {w for w, lv in smap.words.items() if lv == level}
        assert {int(n) for n in row.group(2).split(",")} == {n for n, lv in smap.numbers.items() if lv == level}
