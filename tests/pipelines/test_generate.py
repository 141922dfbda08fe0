"""The synthetic corpus: deterministic, realistic in shape, and its truth file matches its text."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import statistics
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.synthetic.generate import generate
from pipelines.synthetic.plan import REFERENCE_DATE, SERVICES, TEAMS
from pipelines.synthetic.text import THEMES, fill

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _truth(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate(out, 150, 3)
    return out


@pytest.fixture(scope="module")
def sample_truth() -> list[dict]:
    return _truth(SAMPLE)


def test_same_seed_gives_identical_bytes(corpus, tmp_path):
    generate(tmp_path, 150, 3)
    assert _digest(tmp_path) == _digest(corpus)


def test_other_seed_gives_other_corpus(corpus, tmp_path):
    generate(tmp_path, 150, 4)
    assert _digest(tmp_path) != _digest(corpus)


def test_bundled_sample_is_what_the_generator_writes(tmp_path):
    """data/sample must be regenerated whenever the generator changes (count 400, seed 42)."""
    generate(tmp_path, 400, 42)
    assert _digest(tmp_path) == _digest(SAMPLE)


def test_cli_generate(tmp_path, capsys):
    assert cli.main(["generate", "--out", str(tmp_path), "--count", "12", "--seed", "1"]) == 0
    assert "wrote 12 incidents" in capsys.readouterr().out
    assert len(_truth(tmp_path)) == 12


def test_cli_rejects_zero_count(tmp_path):
    assert cli.main(["generate", "--out", str(tmp_path), "--count", "0"]) == 2


@pytest.mark.parametrize(("count", "seed"), [(1, 0), (3, 1), (7, 2), (33, 3)])
def test_small_corpora_are_consistent(tmp_path, count, seed):
    generate(tmp_path, count, seed)
    rows = _truth(tmp_path)
    assert len(rows) == len({r["incident_id"] for r in rows}) == count
    for r in rows:
        assert (tmp_path / "postmortems" / r["source_path"].partition(":")[0]).is_file()
    assert round_trip(tmp_path)["found"] == 100.0


def test_regenerating_replaces_an_earlier_corpus(tmp_path):
    generate(tmp_path, 60, 1)
    generate(tmp_path, 20, 2)
    fresh = tmp_path / "fresh"
    generate(fresh, 20, 2)
    assert _digest(tmp_path / "postmortems") == _digest(fresh / "postmortems")


def test_refuses_to_write_over_someone_elses_files(tmp_path, capsys):
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "mine.md").write_text("# my own postmortem\n")
    assert cli.main(["generate", "--out", str(tmp_path), "--count", "5"]) == 2
    assert "not a generated corpus" in capsys.readouterr().err
    assert (tmp_path / "postmortems" / "mine.md").exists()


def test_truth_paths_exist_and_ids_are_written(corpus):
    root = corpus / "postmortems"
    rows = _truth(corpus)
    assert len(rows) == 150
    assert len({r["incident_id"] for r in rows}) == 150
    exports: dict[str, list[str]] = {}
    for r in rows:
        path, _, record = r["source_path"].partition(":")
        assert (root / path).is_file(), r["source_path"]
        if record:
            exports.setdefault(path, []).append(record)
        else:
            assert r["incident_id"] in (root / path).read_text(encoding="utf-8-sig")
    jsonl = (root / "exports/incidents.jsonl").read_text(encoding="utf-8").splitlines()
    array = json.loads((root / "exports/pagerbot-export.json").read_text(encoding="utf-8"))["incidents"]
    csv_lines = (root / "exports/legacy-tracker.csv").read_text(encoding="utf-8").splitlines()
    for r in rows:
        path, _, record = r["source_path"].partition(":")
        if path.endswith(".jsonl"):
            assert json.loads(jsonl[int(record) - 1])["id"] == r["incident_id"]
        elif path.endswith(".json"):
            assert array[int(record) - 1]["uuid"] == r["incident_id"]
        elif path.endswith(".csv"):  # N is the line the record starts on, as the parser reports it
            assert csv_lines[int(record) - 1].startswith(r["incident_id"] + ",")
    assert set(exports) == {"exports/incidents.jsonl", "exports/pagerbot-export.json", "exports/legacy-tracker.csv"}
    csv_ids = [row["id"] for row in csv.DictReader(io.StringIO("\n".join(csv_lines)))]
    assert csv_ids == [r["incident_id"] for r in rows if r["format"] == "csv"]


def test_truth_times_are_ordered(corpus):
    for r in _truth(corpus):
        known = [r[f] for f in ("started_at", "detected_at", "mitigated_at", "resolved_at") if r[f]]
        assert known == sorted(known), r["incident_id"]
        assert r["true_started_at"] < r["true_resolved_at"]


def test_sample_shape(sample_truth):
    rows = sample_truth
    assert len(rows) == 400
    assert {s for r in rows for s in r["services"]} == set(SERVICES) and len(SERVICES) == 12
    assert {r["team"] for r in rows} == set(TEAMS) and len(TEAMS) == 6
    themes = Counter(r["main_theme"] for r in rows)
    assert 10 <= len(themes) <= 15 and min(themes.values()) >= 8, themes
    assert Counter(r["severity"] for r in rows).keys() == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert len({r["severity_raw"] for r in rows}) >= 12  # written many ways
    templates = Counter(r["template"] for r in rows)
    assert len(templates) == 11 and 20 <= templates["jsonl"] <= 40 and 10 <= templates["csv"] <= 30
    assert templates["json"] >= 4


def test_sample_durations_are_skewed(sample_truth):
    minutes = [
        (datetime.fromisoformat(r["true_resolved_at"]) - datetime.fromisoformat(r["true_started_at"])).total_seconds() / 60
        for r in sample_truth
    ]
    assert 25 <= statistics.median(minutes) <= 120
    assert statistics.mean(minutes) > statistics.median(minutes) * 1.3  # long right tail
    assert sum(m >= 600 for m in minutes) >= 4


def test_sample_has_differences_worth_charting(sample_truth):
    def minutes(r):
        return (datetime.fromisoformat(r["true_resolved_at"]) - datetime.fromisoformat(r["true_started_at"])).total_seconds() / 60

    def median_minutes(theme):
        return statistics.median(minutes(r) for r in sample_truth if r["main_theme"] == theme)

    assert median_minutes("db_migration") > 2 * median_minutes("feature_flag")

    def done_share(team):
        items = [a for r in sample_truth if r["team"] == team for a in r["action_items"]]
        return sum(a["status"] == "done" for a in items) / len(items)

    assert done_share("payments") > done_share("messaging") + 0.1
    quarters = Counter(r["true_started_at"][:4] + str((int(r["true_started_at"][5:7]) + 2) // 3) for r in sample_truth)
    assert quarters["20254"] > quarters["20252"]  # winter peak over spring, same year


def test_sample_rate_grows_and_spans_three_years(sample_truth):
    years = Counter(r["true_started_at"][:4] for r in sample_truth)
    assert years["2025"] > years["2024"] * 1.2
    first, last = min(r["true_started_at"] for r in sample_truth), max(r["true_started_at"] for r in sample_truth)
    assert first < "2023-12-01" and last > "2026-10-01"


def test_repeats_follow_their_definition(sample_truth):
    by_id = {r["incident_id"]: r for r in sample_truth}
    repeats = [r for r in sample_truth if r["repeat_of"]]
    assert 40 <= len(repeats) <= 280
    for r in repeats:
        for earlier_id in r["repeat_of"]:
            e = by_id[earlier_id]
            gap = datetime.fromisoformat(r["true_started_at"]) - datetime.fromisoformat(e["true_started_at"])
            assert timedelta(0) < gap <= timedelta(days=180)
            assert e["main_theme"] == r["main_theme"] and set(e["services"]) & set(r["services"])
    after_fix = [r for r in repeats if r["repeat_after_fix"]]
    assert 10 <= len(after_fix) < len(repeats)
    # A fix that did not stick: some earlier incident had every item done, due before the repeat.
    stuck = [
        r for r in after_fix
        if any(by_id[e]["action_items"] and all(a["status"] == "done" and (a["due_date"] or "") < r["true_started_at"][:10]
                                                for a in by_id[e]["action_items"]) for e in r["repeat_of"])
    ]
    assert len(stuck) >= 10


def test_action_items_cover_the_awkward_cases(sample_truth):
    items = [a for r in sample_truth for a in r["action_items"]]
    statuses = Counter(a["status"] for a in items)
    assert set(statuses) == {"open", "in_progress", "done", "wont_fix"}
    ref = REFERENCE_DATE.isoformat()
    overdue = [a for a in items if a["due_date"] and a["due_date"] < ref and a["status"] in ("open", "in_progress")]
    assert len(overdue) >= 30
    assert sum(a["owner"] is None for a in items) >= 30
    assert sum(a["due_date"] is None for a in items) >= 30
    assert sum(a["text"].lower().startswith(("investigate", "look into")) for a in items) >= 10
    assert sum(not r["action_items"] for r in sample_truth) >= 10
    assert any(not a["owner"].isascii() for a in items if a["owner"])


def test_restricted_blameful_and_near_duplicates(sample_truth):
    root = SAMPLE / "postmortems"
    restricted = [r for r in sample_truth if r["restricted"]]
    assert 4 <= len(restricted) <= 20
    for r in restricted:
        assert r["allowed_groups"] == ["security"]
        head = (root / r["source_path"]).read_text(encoding="utf-8-sig").split("\n---", 1)[0]
        assert "restricted" in head
    blameful = [r for r in sample_truth if r["blameful"]]
    assert 10 <= len(blameful) <= 30
    for r in blameful:
        lines = (root / r["source_path"]).read_text(encoding="utf-8-sig").splitlines()
        for n in r["blameful_lines"]:
            assert any(w in lines[n - 1].lower() for w in ("error", "fault", "careless", "should have", "ignored",
                                                            "mistake", "lack of attention", "had read"))
    text = "\n".join(p.read_text(encoding="utf-8-sig") for p in root.rglob("*.md"))
    assert "failed to start" in text and "failed to complete" in text  # neutral phrases too
    dups = [r for r in sample_truth if r["near_duplicate_of"]]
    assert len(dups) >= 3
    by_id = {r["incident_id"]: r for r in sample_truth}
    for r in dups:
        assert by_id[r["near_duplicate_of"]]["main_theme"] == r["main_theme"]


def test_files_vary_in_encoding_and_layout(sample_truth):
    assert sum(r["crlf"] for r in sample_truth) >= 3
    assert sum(r["bom"] for r in sample_truth) >= 1
    for r in sample_truth:
        if r["format"] == "markdown":
            data = (SAMPLE / "postmortems" / r["source_path"]).read_bytes()
            assert (b"\r\n" in data) == r["crlf"]
            assert data.startswith(b"\xef\xbb\xbf") == r["bom"]
    assert sum(r["started_at"] is None for r in sample_truth) >= 5  # prose without times
    timeline_only = [r for r in sample_truth if r["format"] == "markdown" and r["started_at"]
                     and "started" not in (SAMPLE / "postmortems" / r["source_path"]).read_text(encoding="utf-8-sig").split("\n---", 1)[0]
                     and "Started" not in (SAMPLE / "postmortems" / r["source_path"]).read_text(encoding="utf-8-sig")[:600]]
    assert len(timeline_only) >= 20  # times recoverable only from timeline markers


def test_theme_wording_varies():
    import random

    rng = random.Random(0)
    from pipelines.synthetic.plan import IncidentPlan, _Slots

    plan = IncidentPlan("INC-1", datetime(2025, 1, 1), datetime(2025, 1, 1, 0, 5), datetime(2025, 1, 1, 0, 20),
                        datetime(2025, 1, 1, 1), "SEV2", "SEV2", "config_push", ["config_push"], ["edge-proxy"],
                        "platform", 1)
    assert 10 <= len(THEMES) <= 15
    for theme in THEMES:
        sentences = {fill(rng, t, _Slots(seed, plan)) for seed in range(40) for t in theme.factors}
        assert len(sentences) >= 40, theme.key
        assert len(theme.factors) >= 6 and len(theme.actions) >= 4


# ---- round trip through the parser -----------------------------------------------------------

FIELDS = ("source_path", "severity", "team", "services", "started_at", "detected_at", "mitigated_at", "resolved_at",
          "n_actions", "action_status", "action_owner", "action_due", "restricted")


def round_trip(root: Path) -> dict[str, float]:
    """Per-field agreement (%) between parse_file on every generated file and truth.jsonl."""
    from pipelines.parsing import files as parse

    parsed = {}
    for p in sorted((root / "postmortems").rglob("*")):
        if p.is_file():
            for inc in parse.parse_file(p.read_bytes(), p.relative_to(root / "postmortems").as_posix()).incidents:
                parsed[inc.incident_id] = inc
    agree: Counter = Counter()
    total: Counter = Counter()

    def check(field: str, expected, got) -> None:
        total[field] += 1
        agree[field] += expected == got

    def owner(o: str | None) -> str | None:
        return o.lstrip("@").casefold() if o else None

    truth = _truth(root)
    for t in truth:
        inc = parsed.get(t["incident_id"])
        check("found", True, inc is not None)
        if inc is None:
            continue
        check("source_path", t["source_path"], inc.source_path)
        check("severity", t["severity"], inc.severity)
        check("team", t["team"], inc.team)
        check("services", sorted(t["services"]), sorted(inc.services))
        check("restricted", t["restricted"], inc.restricted)
        for f in ("started_at", "detected_at", "mitigated_at", "resolved_at"):
            got = getattr(inc, f)
            check(f, t[f], got.strftime("%Y-%m-%dT%H:%M:%S") if got else None)
        check("n_actions", len(t["action_items"]), len(inc.action_items))
        if len(t["action_items"]) == len(inc.action_items):
            for a, b in zip(t["action_items"], inc.action_items):
                check("action_status", a["status"], b.status)
                check("action_owner", owner(a["owner"]), owner(b.owner))
                check("action_due", a["due_date"], b.due_date.isoformat() if b.due_date else None)
    return {f: 100.0 * agree[f] / total[f] for f in total}


def test_round_trip_through_parser(corpus):
    scores = round_trip(corpus)
    print("round trip agreement %:", json.dumps({k: round(v, 1) for k, v in scores.items()}))
    assert scores["found"] == 100.0
    for field in FIELDS:
        assert scores[field] >= 90.0, (field, scores[field])


@pytest.mark.slow
def test_ten_thousand_postmortems_generate_quickly(tmp_path):
    """Benchmarks generate 10,000 postmortems. Planning and rendering are the generator's own cost
    (file creation is the disk's), so they get a tight CPU budget; the whole run a loose guard."""
    import random
    import time

    from pipelines.synthetic import render as generate_render
    from pipelines.synthetic.plan import plan_corpus

    t0 = time.process_time()
    plans = plan_corpus(10_000, 1)
    by_id = {p.incident_id: p for p in plans}
    for p in plans:
        generate_render.render(p, random.Random(p.text_seed), by_id)
    assert time.process_time() - t0 < 10
    assert len({p.incident_id for p in plans}) == 10_000  # ids stay unique past 999 a year
    assert generate(tmp_path, 2_000, 1).incidents == 2_000  # writing files: the disk's time, measured in bench/ingest.py
