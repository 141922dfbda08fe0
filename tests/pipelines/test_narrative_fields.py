"""Fields a write-up states only in prose, a file name or an export row (tests/fixtures/narrative,
README there): the incident date, the responding team, services named in narrative, and start /
detection times in narrative timelines and tool exports. Golden values in golden.json."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.build.run import build
from pipelines.model import Incident, Section
from pipelines.parsing import incident_times as it
from pipelines.parsing.files import parse_file
from pipelines.parsing.metadata_blocks import leading_metadata
from pipelines.parsing.ownership import responding_team, signed_team, team_cues

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "narrative"
CORPUS = ROOT / "corpus"
GOLDEN: dict[str, dict] = json.loads((ROOT / "golden.json").read_text(encoding="utf-8"))
TIMES = ("started_at", "detected_at", "resolved_at")


@cache
def _parsed(path: str) -> tuple[Incident, ...]:
    return tuple(parse_file((CORPUS / path).read_bytes(), path).incidents)


def _incident(name: str) -> Incident:
    path, _, row = name.partition(":")
    incidents = _parsed(path)
    return incidents[int(row) - 2] if row else incidents[0]  # CSV rows: line 2 is the first record


def _minute(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_the_parser_reads_the_golden_fields(name: str) -> None:
    want, inc = GOLDEN[name], _incident(name)
    got = {
        "date": inc.date.isoformat() if inc.date else None, "severity": inc.severity,
        **{f: _minute(getattr(inc, f)) for f in TIMES},
        "team_written": inc.team, "team_source": inc.field_sources["team"].source if "team" in inc.field_sources else None,
    }
    assert got == {k: want[k] for k in got}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict]]:
    """{"with_catalog" | "without_catalog": {source: {"team", "services"}}} from two builds."""
    out: dict[str, dict[str, dict]] = {}
    for key, catalogs in (("with_catalog", [ROOT / "catalog-info.yaml"]), ("without_catalog", [])):
        db = tmp_path_factory.mktemp(key) / "h.duckdb"
        build([CORPUS], db, catalogs=catalogs, analysis=False, jobs=1)
        with duckdb.connect(str(db), read_only=True) as con:
            rows = con.execute("SELECT incident_id, source_path, team FROM incidents").fetchall()
            services: dict[str, list[str]] = {}
            for iid, svc in con.execute("SELECT incident_id, service FROM incident_services ORDER BY rowid").fetchall():
                services.setdefault(iid, []).append(svc)
        out[key] = {src: {"team": team, "services": services.get(iid, [])} for iid, src, team in rows}
    return out


@pytest.mark.parametrize("name", sorted(GOLDEN))
@pytest.mark.parametrize("catalog", ["with_catalog", "without_catalog"])
def test_the_build_resolves_team_and_services(built: dict, name: str, catalog: str) -> None:
    # Without a catalog, "Boarding" is the team the write-up states, so not read as a service in
    # its prose: the precise reading when nothing says which it is.
    assert built[catalog][name] == GOLDEN[name][catalog]


# ---- the rules one by one ---------------------------------------------------------------------


def test_a_sign_off_keeps_the_team_and_drops_its_trailing_clause() -> None:
    lines = ["Thanks.", "", "— The Harbour Apps team, with help from the Payments on-call"]
    assert signed_team(lines) == ("Harbour Apps", 2)
    assert signed_team(["Written by Ana Costa for the Search team", "", "## Summary"]) == ("Search", 0)
    assert signed_team(["- Move paging to the Platform team rotation (Ana)"]) is None  # an action item
    assert signed_team(["Written by Ana for the postmortem review"]) is None


@pytest.mark.parametrize(
    ("text", "team"),
    [
        ("We declared a SEV2, and the Harbour Money & Payments team led the response.", "Harbour Money & Payments"),
        ("The Search on-call was paged at 10:02.", "Search"),
        ("At 10:02 our monitoring paged the Search on-call engineer.", "Search"),
        ("Our on-call was paged at 10:02.", None),  # no team named
        ("Our on-call was paged at 10:02, and the Ferry Apps on-call was paged at 10:05.", "Ferry Apps"),
        ("The Identity team will add a regression test.", None),  # future work, not the response
    ],
)
def test_a_sentence_names_the_responding_team(text: str, team: str | None) -> None:
    got = responding_team([(text, 1)])
    assert (got[0] if got else None) == team


def test_the_team_cues_are_data(tmp_path: Path) -> None:
    assert team_cues().led is not None
    bad = tmp_path / "names.toml"
    bad.write_text("[team_cues]\nresponded = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="names.toml"):
        team_cues.__wrapped__(bad)


def test_free_lines_between_preamble_fields_do_not_end_the_block() -> None:
    lines = ["sev 2 -- login / accounts", "team: fleet-systems", "written by Bo + Sam, draft", "", "prose follows."]
    block = leading_metadata(lines, 0, len(lines))
    assert block.fields["team"] == "fleet-systems"
    assert 0 not in block.consumed  # the free line stays text (its severity is read from it)
    # Prose before any field is not a preamble.
    prose = ["We had a bad morning and this is what happened.", "team: x"]
    assert leading_metadata(prose, 0, 2).fields == {}


_NAME_WORD = st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(words=st.lists(_NAME_WORD, min_size=1, max_size=3), lead=st.sampled_from(["", "Yesterday, ", "After the page, "]))
def test_any_capitalised_team_name_before_led_the_response_is_read(words: list[str], lead: str) -> None:
    name = " ".join(words)
    got = responding_team([(f"{lead}the {name} team led the response.", 1)])
    assert got is not None and got[0] == name


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300))
def test_responding_team_never_invents_a_name(text: str) -> None:
    got = responding_team([(text, 1)])
    assert got is None or got[0] in text


@settings(max_examples=60, deadline=None)
@given(h=st.integers(0, 23), m=st.integers(0, 59), thing=st.sampled_from(["the vendor switched routes", "a config push landed"]))
def test_from_then_on_takes_the_time_of_the_sentence_before(h: int, m: int, thing: str) -> None:
    body = f"At {h:02d}:{m:02d} {thing}. From then on, every request failed."
    found = it.times_from_prose([(Section("other", "What happened", body, 3), 3)], datetime(2025, 1, 7).date(), None)
    assert found["started_at"][0] == datetime(2025, 1, 7, h, m)


@settings(max_examples=60, deadline=None)
@given(minutes_before=st.integers(1, 6 * 60 - 1), other=st.integers(6 * 60 + 1, 24 * 60))
def test_an_export_start_is_the_last_stated_time_within_the_window(minutes_before: int, other: int) -> None:
    report = datetime(2025, 3, 1, 23, 59)
    t1, t0 = report - timedelta(minutes=minutes_before), report - timedelta(minutes=other)
    body = f"A change went out at {t0:%H:%M} UTC on {t0:%Y-%m-%d}. Proxies were drained at {t1:%H:%M} UTC on {t1:%Y-%m-%d}."
    hit = it.last_time_before([(Section("summary", "", body, 1), 1)], None, None, report, timedelta(hours=6))
    assert hit is not None and hit[0] == t1


@pytest.mark.parametrize(
    ("story", "end"),
    [
        # A part of the impact ending before the stated span ends is not the end of impact.
        ("Gate scanners rejected tickets from 09:05 to 10:48 UTC. The rejection rate returned to normal at 10:41, and queues cleared by 10:48.", (10, 48)),
        # A span that covers the worst part only: the later end of impact wins.
        ("Most sailings failed to load between 09:05 and 09:40 UTC. Search returned to normal at 10:12 UTC.", (10, 12)),
    ],
)
def test_the_end_of_impact_is_the_later_of_the_span_and_the_recovery_sentence(story: str, end: tuple[int, int]) -> None:
    found = it.times_from_prose([(Section("impact", "Impact", story, 3), 3)], datetime(2025, 4, 2).date(), None)
    assert found["resolved_at"][0] == datetime(2025, 4, 2, *end)
