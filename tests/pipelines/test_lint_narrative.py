"""Narrative postmortems (prose, no template headings) are scored on what their sentences say."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.lint.checks import lint_incident
from pipelines.lint.completeness import completeness
from pipelines.lint.narrative import CUES_FILE, is_narrative, load_cues, prose_evidence
from pipelines.parsing.files import parse_file

AWKWARD = Path(__file__).resolve().parents[1] / "fixtures" / "awkward" / "corpus"
# The fixture README lists the files that state their root cause in a sentence.
STATES_ROOT_CAUSE = [
    "1628-08-10-vasa-capsizes.md", "2004-03-02-tollbridge-batch-overrun.md", "2012-07-01-fenland-leap-second.md",
    "2023-09-05-marram-maps-tiles.md", "2024-05-09-ouzel-chat-messages-delayed.md", "2025-03-03-lanternfish-db-failover.md",
    "2023-02-14-quaylight-ci-runners.md", "2024-01-17-sedgefield-pay-duplicate-charges.md",
]


def _incident(text: str, name: str = "note.md"):
    return parse_file(text.encode(), name).incidents[0]


def _root_cause_findings(result) -> list[str]:
    return [f.message for f in result.findings if f.rule.startswith("completeness/") and "root" in f.message.lower()]


@pytest.mark.parametrize("name", STATES_ROOT_CAUSE)
def test_a_root_cause_stated_in_a_sentence_counts(name):
    inc = parse_file((AWKWARD / name).read_bytes(), name).incidents[0]
    assert is_narrative(inc)
    result = lint_incident(inc)
    assert _root_cause_findings(result) == []
    assert prose_evidence(inc).root_cause


def test_no_root_cause_statement_only_when_none_is_there():
    inc = _incident("---\ntitle: Mail delayed\n---\nMail was delayed for most of the morning. Customers wrote in to ask "
                    "where their messages were. Everything was delivered by noon.\n")
    assert _root_cause_findings(lint_incident(inc)) == [
        "no root-cause statement: say in a sentence what caused the failure and what allowed it "
        "(e.g. 'The root cause was ...'), or add a 'Root cause' section"]
    unknown = _incident("---\ntitle: Mail delayed\n---\nMail was delayed for two hours. The root cause is not yet "
                        "determined and the team is still investigating.\n")
    assert _root_cause_findings(lint_incident(unknown))  # saying it is unknown does not state it


def test_prose_earns_the_sections_it_contains():
    bare = _incident("---\ntitle: Queue stalled\n---\nThe queue stalled for a while and then recovered on its own.\n")
    told = _incident(
        "---\ntitle: Queue stalled\n---\n"
        "At 09:12 UTC the order queue stopped draining and about 4,000 customers could not check out. "
        "The root cause was a consumer deploy that halved the worker pool. We rolled it back at 09:47 UTC.\n\n"
        "We will add a queue-depth alert and a canary stage for consumer deploys. The lesson is that "
        "throughput needs a test of its own.\n"
    )
    assert completeness(told) >= completeness(bare) + 15 + 10 + 15 + 15  # timeline, impact, root cause, action items
    evidence = prose_evidence(told)
    assert evidence.times == 2 and evidence.impact and evidence.remediation and evidence.lessons_learned
    findings = {f.rule: f for f in lint_incident(told).findings}
    # the fixes are promised in prose only: still worth listing, but not "no action items" (an error)
    assert findings["action-items/none"].severity == "warning" and "only in prose" in findings["action-items/none"].message
    assert "timeline/no-timestamps" not in findings  # a narrative has no timeline events to stamp


def test_template_documents_are_judged_by_their_sections():
    inc = _incident("# Pool exhausted\n\n## Summary\nThe root cause was a leak in the pool. Users saw errors.\n\n"
                    "## Timeline\n- 10:00 deploy\n- 10:30 alert\n")
    assert not is_narrative(inc)
    assert _root_cause_findings(lint_incident(inc)) == [
        next(f.message for f in lint_incident(inc).findings if "Root cause analysis" in f.message)]


def test_cue_phrases_are_data():
    assert CUES_FILE.suffix == ".toml"
    cues = load_cues()
    assert cues.root_cause.search("The outage was caused by a bad certificate.")
    assert cues.root_cause.search("It was traced back to a race in the lease code.")
    assert not cues.root_cause.search("Mail was delayed for two hours.")
    assert cues.not_a_statement.search("The root cause is not yet determined.")
    assert cues.remediation.search("Going forward, every deploy runs a canary first.")
