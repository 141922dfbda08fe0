"""Postmortem lint: each rule on small fixtures and hand-built incidents, the score, the CLI,
and the whole generated corpus against the generator's truth."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.lint.blameless import default_rules
from pipelines.lint.completeness import SECTION_TITLES, SECTION_WEIGHTS, TIME_WEIGHTS, completeness, is_placeholder
from pipelines.lint.checks import Finding, LintResult, lint_incident
from pipelines.model import ActionItem, ContributingFactor, Incident, Section, TimelineEvent
from pipelines.parsing.files import parse_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "lint"


def lint_fixture(name: str) -> LintResult:
    path = FIXTURES / name
    [incident] = parse_file(path.read_bytes(), name).incidents
    return lint_incident(incident)


def by_rule(result: LintResult) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in result.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def full_incident(**overrides) -> Incident:
    """A complete, blameless incident built by hand; tests break one thing at a time."""
    t = datetime(2025, 3, 4, 9, 0)
    fields = dict(
        incident_id="T-1",
        source_path="t.md",
        started_at=t.replace(minute=12),
        detected_at=t.replace(minute=19),
        resolved_at=t.replace(hour=10, minute=5),
        sections=[
            Section("summary", "Summary", "Checkout was slow for 53 minutes after a pool change.", 3),
            Section("impact", "Impact", "About 6% of checkout attempts failed for 53 minutes.", 6),
            Section("timeline", "Timeline", "- 09:12 latency rises\n- 09:19 alert pages on-call", 9),
            Section(
                "root_cause",
                "Root cause",
                "- The pool was halved by a config change.\n- Config changes skip load tests.",
                13,
            ),
            Section("what_went_well", "What went well", "The alert paged the right team quickly.", 17),
            Section("what_went_poorly", "What went poorly", "The saturation signal was on no dashboard.", 20),
            Section("action_items", "Action items", "| ... |", 23),
            Section("lessons_learned", "Lessons learned", "Config changes capacity as much as code does.", 30),
        ],
        timeline=[
            TimelineEvent(t.replace(minute=12), "09:12", "latency rises", 10),
            TimelineEvent(t.replace(minute=19), "09:19", "alert pages on-call", 11),
        ],
        action_items=[
            ActionItem("Run pool-size config changes through the load test", "dana", date(2025, 4, 1), kind="prevent", line=25),
            ActionItem("Add a saturation panel to the dashboard", "lee", date(2025, 3, 20), kind="detect", line=26),
        ],
        factors=[
            ContributingFactor("The pool was halved by a config change.", "root_cause", 14),
            ContributingFactor("Config changes skip load tests.", "root_cause", 15),
        ],
    )
    fields.update(overrides)
    return Incident(**fields)


# --- the score ------------------------------------------------------------------------------


def test_weighting_is_documented_and_sums_to_100():
    assert sum(SECTION_WEIGHTS.values()) + sum(TIME_WEIGHTS.values()) == 100
    import pipelines.lint.completeness as c

    for kind, weight in SECTION_WEIGHTS.items():
        assert str(weight) in c.__doc__


def test_full_incident_scores_100_with_no_findings():
    result = lint_incident(full_incident())
    assert result.completeness == 100
    assert result.findings == []


def test_good_fixture_scores_100_with_no_findings():
    result = lint_fixture("good.md")
    assert result.completeness == 100
    assert result.findings == []


@pytest.mark.parametrize(
    "kind, weight", [("summary", 10), ("timeline", 0), ("impact", 10), ("root_cause", 0), ("lessons_learned", 5)]
)
def test_missing_section_costs_its_weight(kind, weight):
    inc = full_incident()
    inc.sections = [s for s in inc.sections if s.kind != kind]
    # timeline and root cause are also satisfied by parsed events / factors, so they still count
    assert completeness(inc) == 100 - weight


def test_missing_times_cost_their_weight():
    assert completeness(full_incident(started_at=None, detected_at=None, resolved_at=None)) == 80


@pytest.mark.parametrize(
    "text", ["TBD", "N/A", "-", "  todo ", "<!-- describe the impact -->", "_Describe the impact here._", "None.", "<impact>", "Lorem ipsum"]
)
def test_placeholders(text):
    assert is_placeholder(text)


@pytest.mark.parametrize("text", ["About 6% of requests failed.", "Customers could not log in for 20 minutes."])
def test_real_content_is_not_a_placeholder(text):
    assert not is_placeholder(text)


def test_incomplete_fixture():
    result = lint_fixture("incomplete.md")
    rules = by_rule(result)
    assert result.completeness == 15  # only the timeline has real content
    placeholder_lines = sorted(f.line for f in rules["completeness/placeholder-section"])
    assert placeholder_lines == [7, 11, 21, 26]  # summary, impact, root cause, what went well
    assert len(rules["completeness/missing-time"]) == 3
    assert rules["timeline/no-timestamps"][0].line == 15
    assert rules["action-items/none"][0].severity == "error"
    root = [f for f in rules["completeness/placeholder-section"] if f.line == 21]
    assert root[0].severity == "error" and "Root cause" in root[0].message


def test_empty_parent_heading_counts_its_subsections(tmp_path):
    text = (
        "---\nid: P-1\n---\n## Summary\nA cache flush overloaded the database for an hour.\n\n"
        "## Lessons learned\n\n### What went well\n- The alert fired within a minute of impact.\n"
    )
    [inc] = parse_file(text.encode(), "p.md").incidents
    rules = by_rule(lint_incident(inc))
    assert not any("Lessons" in f.message for f in rules.get("completeness/placeholder-section", []))


# --- timeline -------------------------------------------------------------------------------


def test_timeline_fixture_out_of_order_and_detected_before_start():
    rules = by_rule(lint_fixture("timeline.md"))
    assert [f.line for f in rules["timeline/out-of-order"]] == [18]
    assert rules["timeline/detected-before-start"][0].severity == "error"
    assert "time zone" in rules["timeline/detected-before-start"][0].message


def test_no_timestamps_only_when_no_event_has_a_time():
    inc = full_incident(timeline=[TimelineEvent(None, "", "latency rises", 10), TimelineEvent(None, "", "paged", 11)])
    assert "timeline/no-timestamps" in by_rule(lint_incident(inc))
    inc = full_incident(timeline=[TimelineEvent(None, "9:12 PM PDT", "latency rises", 10)])
    assert "timeline/no-timestamps" not in by_rule(lint_incident(inc))


def test_newest_first_timeline_is_one_finding():
    t = datetime(2025, 3, 4, 9, 0)
    events = [TimelineEvent(t.replace(minute=m), f"09:{m:02d}", "x", 20 - i) for i, m in enumerate((50, 30, 10, 5))]
    [finding] = by_rule(lint_incident(full_incident(timeline=events)))["timeline/out-of-order"]
    assert "newest first" in finding.message and finding.line == 20


def test_resolved_before_start():
    inc = full_incident(resolved_at=datetime(2025, 3, 4, 8, 0))
    assert "timeline/resolved-before-start" in by_rule(lint_incident(inc))


# --- action items ---------------------------------------------------------------------------


def test_action_item_fixture():
    rules = by_rule(lint_fixture("timeline.md"))
    assert sorted(f.line for f in rules["action-items/vague"]) == [27, 28, 29]
    assert [f.line for f in rules["action-items/no-owner"]] == [28]
    assert [f.line for f in rules["action-items/no-due-date"]] == [28]
    assert "action-items/no-preventive" in rules


@pytest.mark.parametrize("owner", ["TBD", "@unassigned", "?", "team", " "])
def test_placeholder_owner_is_no_owner(owner):
    items = [ActionItem("Add a pool-size limit to the config schema", owner, date(2025, 5, 1), kind="prevent", line=25)]
    assert "action-items/no-owner" in by_rule(lint_incident(full_incident(action_items=items)))


def test_deferred_action_items_count_as_none_in_lint_and_score():
    inc = full_incident(action_items=[ActionItem("TODO: fill in after the review meeting", line=25)])
    assert "action-items/none" in by_rule(lint_incident(inc))
    assert completeness(inc) == 100 - 15


def test_no_action_items_is_an_error():
    rules = by_rule(lint_incident(full_incident(action_items=[])))
    assert rules["action-items/none"][0].severity == "error"


def test_closed_items_need_no_owner_or_due_date():
    items = [ActionItem("Add a pool-size limit to the config schema", None, None, status="done", kind="prevent", line=25)]
    rules = by_rule(lint_incident(full_incident(action_items=items)))
    assert "action-items/no-owner" not in rules and "action-items/no-due-date" not in rules


@pytest.mark.parametrize(
    "text, vague",
    [
        ("Investigate the outage", True),
        ("Look into dashboards", True),
        ("Be more careful when deploying", True),
        ("Remind engineers to double-check the target cluster", True),
        ("Better alerting for checkout", True),
        ("Investigate the leak and add a pool-size alert", False),
        ("Add a confirmation prompt to the cleanup script", False),
        ("Update the runbook with the failover steps", False),
    ],
)
def test_vague_items(text, vague):
    items = [ActionItem(text, "kim", date(2025, 5, 1), kind="prevent", line=25)]
    assert ("action-items/vague" in by_rule(lint_incident(full_incident(action_items=items)))) is vague


@pytest.mark.parametrize(
    "items, flagged",
    [
        ([("Add an alert on queue depth", "detect"), ("Restart consumers", "mitigate")], True),
        ([("Add an alert on queue depth", None), ("Update the runbook", None)], True),
        ([("Add an alert on queue depth", None), ("Reject configs with a pool size below 10", None)], False),
        ([("Something", "prevent")], False),
        ([("Rate-limit partner traffic at the edge", None)], False),
    ],
)
def test_no_preventive_item(items, flagged):
    action_items = [ActionItem(t, "kim", date(2025, 5, 1), kind=k, line=25 + i) for i, (t, k) in enumerate(items)]
    rules = by_rule(lint_incident(full_incident(action_items=action_items)))
    assert ("action-items/no-preventive" in rules) is flagged


# --- RCA depth ------------------------------------------------------------------------------


def test_shallow_five_whys_fixture():
    rules = by_rule(lint_fixture("five_whys.md"))
    [finding] = rules["rca/shallow-five-whys"]
    assert finding.line == 14 and "2 levels" in finding.message


def test_deep_five_whys_pass():
    assert "rca/shallow-five-whys" not in by_rule(lint_fixture("good.md"))


def test_root_cause_stopping_at_a_person():
    inc = full_incident(factors=[])
    inc.sections[3] = Section("root_cause", "Root cause", "Root cause: human error by the on-call engineer.", 13)
    rules = by_rule(lint_incident(inc))
    assert rules["rca/stops-at-person"][0].severity == "error"
    assert "rca/single-cause" in rules


def test_person_with_systemic_follow_up_is_not_stopping_at_a_person():
    inc = full_incident()
    inc.sections[3] = Section(
        "root_cause",
        "Root cause",
        "The engineer ran the cleanup against production. The CLI accepted a production target without confirmation, "
        "and both clusters look identical in the tool.",
        13,
    )
    assert "rca/stops-at-person" not in by_rule(lint_incident(inc))


def test_single_cause():
    inc = full_incident(factors=[ContributingFactor("A bad config push.", "root_cause", 14)])
    inc.sections[3] = Section("root_cause", "Root cause", "A bad config push.", 13)
    assert "rca/single-cause" in by_rule(lint_incident(inc))


# --- blameless, through the document ---------------------------------------------------------


def test_blameful_fixture_lines_and_exclusions():
    result = lint_fixture("blameful.md")
    blame = {(f.line, f.rule) for f in result.findings if f.rule.startswith("blameless/")}
    assert blame == {
        (17, "blameless/human-error"),
        (18, "blameless/fault"),
        (28, "blameless/failed-to"),
    }
    # lines 32-41: a quoted tweet, a failed job, a Kubernetes operator, "we blamed DNS", a code block,
    # a block quote and inline code: none is the author blaming a person
    stops = by_rule(result)["rca/stops-at-person"]
    assert stops[0].line == 17
    for f in result.findings:
        if f.rule.startswith("blameless/"):
            assert "try \"" in f.message  # a suggested rewording


def test_export_record_without_raw_text_is_scanned_without_lines():
    inc = full_incident(source_format="jsonl", raw_text="")
    inc.sections[0] = Section("summary", "Summary", "The outage was caused by human error.", 0)
    hits = [f for f in lint_incident(inc).findings if f.rule.startswith("blameless/")]
    assert [(f.rule, f.line) for f in hits] == [("blameless/human-error", None)]


def test_in_file_suppressions():
    text = (
        "---\nid: SUP-1\n---\n"
        "<!-- hindsight-lint: disable completeness, action-items -->\n"  # 4
        "## Root cause\n\n"
        "<!-- hindsight-lint: disable-next-line blameless/human-error -->\n"  # 7
        "The vendor's report says human error. It was Kevin's fault.\n"  # 8
        "Root cause: operator error.\n"  # 9
    )
    [inc] = parse_file(text.encode(), "sup.md").incidents
    found = {(f.line, f.rule) for f in lint_incident(inc).findings}
    assert not any(rule.startswith(("completeness/", "action-items/")) for _, rule in found)
    assert (8, "blameless/human-error") not in found
    assert (8, "blameless/fault") in found and (9, "blameless/human-error") in found


def test_disabled_rules_are_dropped(tmp_path):
    from pipelines.lint.blameless import load_rules

    extra = tmp_path / "r.toml"
    extra.write_text('disable = ["action-items/no-due-date", "completeness/missing-time"]\n', encoding="utf-8")
    rules = by_rule(lint_incident(full_incident(started_at=None, action_items=[ActionItem("Add a limit", "kim")]), load_rules(extra)))
    assert "action-items/no-due-date" not in rules and "completeness/missing-time" not in rules


def test_every_finding_has_a_known_severity_and_a_how_to_fix_message():
    for name in ("good.md", "blameful.md", "incomplete.md", "timeline.md", "five_whys.md"):
        for f in lint_fixture(name).findings:
            assert f.severity in ("info", "warning", "error")
            assert "/" in f.rule and len(f.message) > 30


# --- the CLI --------------------------------------------------------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["lint", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_clean_file_exits_zero(capsys):
    code, out, err = run_cli(capsys, str(FIXTURES / "good.md"))
    assert code == 0 and out == ""
    assert "1 postmortem checked: 0 errors" in err


def test_cli_prints_file_line_rule_message(capsys):
    path = FIXTURES / "blameful.md"
    code, out, _ = run_cli(capsys, str(path))
    assert code == 1
    assert f"{path}:18: blameless/fault: " in out
    assert out.count("\n") == len(out.splitlines())


def test_cli_fail_on_threshold(capsys):
    path = str(FIXTURES / "five_whys.md")  # warnings and info only
    assert run_cli(capsys, path, "--fail-on", "error")[0] == 0
    assert run_cli(capsys, path, "--fail-on", "warning")[0] == 1


def test_cli_json_and_folders(capsys):
    code, out, _ = run_cli(capsys, str(FIXTURES), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["failed"] is True
    paths = {Path(r["path"]).name for r in data["incidents"]}
    assert {"good.md", "blameful.md", "incomplete.md", "timeline.md", "five_whys.md"} <= paths
    good = next(r for r in data["incidents"] if r["path"].endswith("good.md"))
    assert good["completeness"] == 100 and good["findings"] == []
    assert data["counts"]["error"] >= 3


def test_cli_team_rules(capsys, tmp_path):
    extra = tmp_path / "team.toml"
    extra.write_text('disable = ["action-items/none", "completeness/placeholder-section"]\n', encoding="utf-8")
    code, out, _ = run_cli(capsys, str(FIXTURES / "incomplete.md"), "--rules", str(extra))
    assert code == 0 and "action-items/none" not in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[[blameless]\n", encoding="utf-8")
    code, _, err = run_cli(capsys, str(FIXTURES / "good.md"), "--rules", str(bad))
    assert code == 2 and "bad.toml" in err


def test_cli_missing_path_and_unreadable_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, str(tmp_path / "nope.md"))
    assert code == 2 and "nope.md" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    code, out, _ = run_cli(capsys, str(broken))
    assert code == 1 and "broken.json: ingest/error" in out


def test_cli_export_records_are_named_by_record(capsys, tmp_path):
    export = tmp_path / "incidents.jsonl"
    rows = [
        {"id": "E-1", "title": "Queue backlog", "summary": "The outage was caused by human error."},
        {"id": "E-2", "title": "Cache flush", "summary": "A deploy flushed the cache and the database was overloaded."},
    ]
    export.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    _, out, _ = run_cli(capsys, str(export))
    assert f"{export}:1: blameless/human-error" in out
    assert f"{export}:2: blameless/" not in out


def test_lint_command_stays_light_and_fast():
    """The pre-commit path must not import the analytics stack."""
    code = (
        "import sys, time; t = time.perf_counter(); from pipelines import cli; "
        f"rc = cli.main(['lint', {str(FIXTURES / 'good.md')!r}]); "
        "heavy = [m for m in ('pandas', 'duckdb', 'sklearn', 'numpy', 'streamlit', 'altair') if m in sys.modules]; "
        "print(heavy, rc, time.perf_counter() - t, file=sys.stderr)"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    heavy, rc, _ = proc.stderr.strip().splitlines()[-1].rsplit(" ", 2)
    assert heavy == "[]", proc.stderr
    assert rc == "0"
    # CPU time, not wall time: a busy CI machine stretches the wall clock, not the work.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 1.5, f"hindsight lint on one file used {cpu:.2f} s of CPU"


# --- the generated corpus against its truth ---------------------------------------------------


def _lint_corpus(corpus: Path) -> dict[str, tuple[Incident, LintResult]]:
    out = {}
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            for inc in parse_file(path.read_bytes(), path.relative_to(corpus).as_posix()).incidents:
                out[inc.source_path] = (inc, lint_incident(inc))
    return out


def _check_against_truth(root: Path) -> None:
    truth = [json.loads(line) for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    linted = _lint_corpus(root / "postmortems")
    planted = [t for t in truth if t["blameful"]]
    clean = [t for t in truth if not t["blameful"] and t["source_path"] in linted]
    assert planted, "the generator plants blameful documents"

    def blame(t):
        return [f for f in linted[t["source_path"]][1].findings if f.rule.startswith("blameless/")]

    # What the README claims: every planted blameful document is found, on its planted lines,
    # and no other document raises a blameless finding.
    assert [t["source_path"] for t in planted if not blame(t)] == []
    for t in planted:
        if t["format"] == "markdown" and t["blameful_lines"]:
            assert set(t["blameful_lines"]) <= {f.line for f in blame(t)}, t["source_path"]
    assert [t["source_path"] for t in clean if blame(t)] == []
    # Action items the truth knows to be missing are reported as such.
    for t in truth:
        if t["source_path"] in linted and not t["action_items"]:
            assert "action-items/none" in {f.rule for f in linted[t["source_path"]][1].findings}
    # Vague items: the generator marks its own ("Investigate ...", "Look into ...").
    rules = default_rules()
    for t in truth:
        for item in t["action_items"]:
            if "vague" in item:
                assert rules.is_vague(item["text"]) is item["vague"], item["text"]
    # Placeholder sections ("TBD"): the same sections, by title.
    title_kind = {title: kind for kind, title in SECTION_TITLES.items()}
    for t in truth:
        if "placeholder_sections" in t and t["source_path"] in linted:
            got = {
                title_kind[f.message.split("'")[1]]
                for f in linted[t["source_path"]][1].findings
                if f.rule == "completeness/placeholder-section"
            }
            # a placeholder action-items section is action-items/none, not a placeholder finding
            assert got == set(t["placeholder_sections"]) & (set(SECTION_TITLES) - {"action_items"}), t["source_path"]


def test_generated_corpus_blameful_documents_match_truth(generated_corpus):
    _check_against_truth(generated_corpus)


@pytest.mark.slow
def test_committed_sample_blameful_documents_match_truth():
    root = ROOT / "data" / "sample"
    _check_against_truth(root)


def test_build_loads_findings_and_completeness(built_db, generated_corpus):
    import duckdb

    truth = {
        json.loads(line)["incident_id"]: json.loads(line)
        for line in (generated_corpus / "truth.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    con = duckdb.connect(str(built_db), read_only=True)
    try:
        missing = con.execute("SELECT count(*) FROM incidents WHERE completeness IS NULL").fetchone()[0]
        assert missing == 0
        lo, hi = con.execute("SELECT min(completeness), max(completeness) FROM incidents").fetchone()
        assert 0 <= lo < hi <= 100
        flagged = {
            r[0]
            for r in con.execute("SELECT DISTINCT incident_id FROM lint_findings WHERE rule LIKE 'blameless/%'").fetchall()
        }
        severities = {r[0] for r in con.execute("SELECT DISTINCT severity FROM lint_findings").fetchall()}
    finally:
        con.close()
    planted = {iid for iid, t in truth.items() if t["blameful"]}
    assert planted and planted <= flagged
    assert severities <= {"info", "warning", "error"}


# --- robustness: the build calls lint on every incident of every corpus -----------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipelines.model import SECTION_KINDS  # noqa: E402

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)
_dt = st.one_of(st.none(), st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sections=st.lists(st.builds(Section, st.sampled_from(SECTION_KINDS), _text, _text, st.integers(0, 60)), max_size=6),
    events=st.lists(st.builds(TimelineEvent, _dt, _text, _text, st.integers(0, 60)), max_size=5),
    items=st.lists(
        st.builds(
            ActionItem,
            _text,
            st.one_of(st.none(), _text),
            st.one_of(st.none(), st.dates()),
            st.sampled_from(["open", "in_progress", "done", "wont_fix"]),
            st.none(),
            st.one_of(st.none(), _text),
            st.none(),
            st.integers(0, 60),
        ),
        max_size=4,
    ),
    times=st.tuples(_dt, _dt, _dt),
    raw=_text,
)
def test_lint_never_raises_on_odd_incidents(sections, events, items, times, raw):
    inc = Incident(
        "H-1", "h.md", started_at=times[0], detected_at=times[1], resolved_at=times[2],
        sections=sections, timeline=events, action_items=items, raw_text=raw,
    )
    result = lint_incident(inc)
    assert 0 <= result.completeness <= 100
    for f in result.findings:
        assert f.severity in ("info", "warning", "error") and f.message


# --- what the README claims ---------------------------------------------------------------------

README = ROOT / "README.md"


def _readme_lint_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Postmortem lint")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_readme_pre_commit_hook_works():
    import re

    import yaml

    block = re.search(r"```yaml\n(repos:.*?)```", _readme_lint_section(), re.S).group(1)
    [hook] = yaml.safe_load(block)["repos"][0]["hooks"]
    assert hook["entry"].startswith("hindsight lint")
    assert re.search(hook["files"], "postmortems/2025/db.md") and not re.search(hook["files"], "img/x.png")
    argv = [sys.executable, "-m", "pipelines.cli", *hook["entry"].split()[1:]]
    ok = subprocess.run([*argv, str(FIXTURES / "good.md")], cwd=ROOT, capture_output=True, timeout=60)
    bad = subprocess.run([*argv, str(FIXTURES / "good.md"), str(FIXTURES / "blameful.md")], cwd=ROOT, capture_output=True, timeout=60)
    assert ok.returncode == 0 and bad.returncode == 1


def test_readme_blameless_numbers_match_the_bench():
    import importlib.util
    import re

    spec = importlib.util.spec_from_file_location("bench_blameless_readme", ROOT / "bench" / "blameless.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    whole = bench.score(bench.read_labelled())
    row = re.search(r"\| whole set, current rules \| (\d+) \+ (\d+) \| ([\d.]+) \| ([\d.]+) \|", _readme_lint_section())
    assert row, "the README table lost its 'whole set' row"
    assert (int(row.group(1)), int(row.group(2))) == (whole.blameful, whole.neutral)
    assert (float(row.group(3)), float(row.group(4))) == (round(whole.precision, 3), round(whole.recall, 3))


def test_readme_rule_table_lists_every_rule_id():
    import re

    section = _readme_lint_section()
    ids = set()
    for name in ("good.md", "blameful.md", "incomplete.md", "timeline.md", "five_whys.md"):
        ids |= {f.rule for f in lint_fixture(name).findings}
    ids |= {r.id for r in default_rules().rules}
    for rule in ids:
        short = rule.split("/", 1)[1]
        assert f"`{rule}`" in section or re.search(rf"`{re.escape(short)}`", section), rule
