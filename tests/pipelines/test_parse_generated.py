"""The parser against the generator's ground truth: every field the generator writes into the
text (in every template, with its deliberate noise) must come back out of the parser."""

from __future__ import annotations

import json

import pytest

from pipelines.synthetic.generate import generate
from pipelines.parsing.files import SUPPORTED_SUFFIXES, parse_file


@pytest.fixture(scope="module")
def parsed_and_truth(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    root = tmp_path_factory.mktemp("generated")
    generate(root, count=120, seed=5)
    corpus = root / "postmortems"
    incidents, errors = {}, []
    for path in sorted(corpus.rglob("*")):
        if path.suffix.lower() in SUPPORTED_SUFFIXES:
            parsed = parse_file(path.read_bytes(), path.relative_to(corpus).as_posix())
            errors += parsed.errors
            incidents.update((i.incident_id, i) for i in parsed.incidents)
    assert errors == []
    truth = {}
    for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        truth[row["incident_id"]] = row
    return incidents, truth


def _iso(value: object) -> str | None:
    return value.isoformat() if value is not None else None


def test_every_generated_incident_parses_with_its_id(parsed_and_truth: tuple[dict, dict]) -> None:
    incidents, truth = parsed_and_truth
    assert set(incidents) == set(truth)
    templates = {t["template"] for t in truth.values()}
    assert len(templates) >= 6  # the corpus really mixes template styles


def test_metadata_and_times_match_truth(parsed_and_truth: tuple[dict, dict]) -> None:
    incidents, truth = parsed_and_truth
    mismatches = []
    for iid, t in truth.items():
        inc = incidents[iid]
        got = (inc.title, inc.severity, sorted(inc.services), inc.team, inc.restricted,
               _iso(inc.started_at), _iso(inc.detected_at), _iso(inc.mitigated_at), _iso(inc.resolved_at))
        want = (t["title"], t["severity"], sorted(t["services"]), t["team"], t["restricted"],
                t["started_at"], t["detected_at"], t["mitigated_at"], t["resolved_at"])
        if got != want:
            mismatches.append((iid, t["template"], got, want))
    assert mismatches == []


def test_action_items_match_truth(parsed_and_truth: tuple[dict, dict]) -> None:
    incidents, truth = parsed_and_truth
    mismatches = []
    for iid, t in truth.items():
        if t["template"] == "prose":
            continue  # prose postmortems mention follow-ups without listing them
        got = [(a.text, a.owner, _iso(a.due_date), a.status) for a in incidents[iid].action_items]
        want = [(a["text"], a["owner"], a["due_date"], a["status"]) for a in t["action_items"]]
        if got != want:
            mismatches.append((iid, t["template"], got, want))
    assert mismatches == []


def test_every_generated_incident_has_factors(parsed_and_truth: tuple[dict, dict]) -> None:
    incidents, _ = parsed_and_truth
    assert [iid for iid, inc in incidents.items() if not inc.factors] == []
