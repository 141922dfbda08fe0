"""The blameless-language engine: prose extraction, subjects, rule files, and the labelled set."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.lint import blameless
from pipelines.lint.blameless import default_rules, load_rules, prose_lines, scan_text

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _bench():
    """bench/blameless.py, the script that prints the README's numbers (not a package)."""
    spec = importlib.util.spec_from_file_location("bench_blameless", ROOT / "bench" / "blameless.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def rules_fired(sentence: str) -> set[str]:
    return {h.rule for h in scan_text(sentence)}


# --- the labelled set (the README quotes these numbers) ---------------------------------------


def test_labelled_set_is_big_enough_and_well_formed():
    rows = _bench().read_labelled()
    labels = [label for label, _ in rows]
    assert labels.count("blameful") >= 60
    assert labels.count("neutral") >= 60
    assert len({s for _, s in rows}) == len(rows), "duplicate sentences inflate the score"


def test_precision_and_recall_on_labelled_set():
    bench = _bench()
    overall = bench.score(bench.read_labelled())
    held_out = bench.score(bench.read_labelled(part="held-out"))
    assert overall.precision >= 0.95 and overall.recall >= 0.95, overall.misses
    # The held-out sentences were written after the rules were tuned; a lower floor on purpose.
    assert held_out.blameful >= 30 and held_out.neutral >= 30
    assert held_out.precision >= 0.9 and held_out.recall >= 0.9, held_out.misses


# The 2026 held-out file was written without reading the rules and measured once, after it was
# committed. NEVER use it for tuning: no rule changes aimed at its misses, no copying its
# sentences into the tuning file. These are the counts of that first measurement, a regression
# floor (the rules must not get worse on it), not a target to tune towards.
HELDOUT_2026_FIRST_RUN = {"blameful": 55, "neutral": 55, "true_pos": 30, "false_pos": 3}


def test_heldout_2026_is_well_formed_and_separate_from_the_tuned_file():
    bench = _bench()
    rows = bench.read_labelled(bench.HELDOUT_2026)
    labels = [label for label, _ in rows]
    assert (labels.count("blameful"), labels.count("neutral")) == (55, 55)
    assert len({s for _, s in rows}) == len(rows), "duplicate sentences inflate the score"
    tuned = {s for _, s in bench.read_labelled()}
    assert not tuned & {s for _, s in rows}, "held-out 2026 sentences leaked into the tuned file"


def test_heldout_2026_does_not_regress_below_its_first_measurement():
    bench = _bench()
    s = bench.score(bench.read_labelled(bench.HELDOUT_2026))
    first = HELDOUT_2026_FIRST_RUN
    assert (s.blameful, s.neutral) == (first["blameful"], first["neutral"])
    assert s.true_pos >= first["true_pos"], s.misses
    assert s.false_pos <= first["false_pos"], s.misses


# --- tricky sentences, one by one -------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, rule",
    [
        ("Root cause: human error.", "blameless/human-error"),
        ("The root cause was operator error.", "blameless/human-error"),
        ("It was Priya's fault.", "blameless/fault"),
        ("The engineer was careless.", "blameless/judgement"),
        ("Sam should have known better.", "blameless/should-have"),
        ("The engineer failed to check the lag.", "blameless/failed-to"),
        ("The operator failed to notice the alert.", "blameless/failed-to"),
        ("Javier forgot to remove the debug flag.", "blameless/forgot"),
        ("The person who wrote the migration forgot to add an index.", "blameless/forgot"),
        ("The outage was caused by Tom.", "blameless/person-as-cause"),
        ("The incident was triggered by @jdoe.", "blameless/person-as-cause"),
        ("We blamed the on-call engineer for the slow response.", "blameless/blame"),
        ("The admin fat-fingered the firewall rule.", "blameless/mistake"),
        ("The engineer ignored the disk space alert.", "blameless/ignored"),
        ("Root cause: Alice.", "blameless/person-as-cause"),
        ("Alice's change caused the outage.", "blameless/person-as-cause"),
        ("If Oluwaseun had read the runbook, this would never have happened.", "blameless/should-have"),
        ("Lack of attention by Nadia let the bad change through review.", "blameless/judgement"),
        ("Tomás ignored the first alert.", "blameless/ignored"),
        ("Engineers must be more careful when running migrations.", "blameless/should-have"),
        ("The outage was caused by an inexperienced engineer.", "blameless/person-as-cause"),
        ("The network engineer pushed the change and neglected to verify it.", "blameless/failed-to"),
        ("The on-call person forgot that the job ran at midnight.", "blameless/forgot"),
        ("The engineer restarted the pod and failed to check the logs.", "blameless/failed-to"),
        ("The author set the variable but failed to copy it to production.", "blameless/failed-to"),
        ("The root cause was the on-call engineer.", "blameless/person-as-cause"),
    ],
)
def test_blameful_sentence_fires_expected_rule(sentence, rule):
    assert rule in rules_fired(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The job failed to start.",
        "The deploy failed to complete on the last hosts.",
        "The operator (Kubernetes operator) restarted pods.",
        "The Postgres operator failed to promote a replica.",
        "The postgres-operator failed to reconcile.",
        "We blamed DNS at first.",
        "No one is to blame.",
        "It was nobody's fault.",
        "The load balancer's fault detection marked hosts down.",
        "The disk controller's fault caused the array to go read-only.",
        "Rather than stopping at human error, we asked why the CLI allowed it.",
        "Automation removes the chance of human error.",
        "User error rates rose to 14%.",
        "The customer wrote \"your engineers are careless\".",
        "The log said `engineer failed to confirm`.",
        "The monitoring agent failed to report metrics.",
        "Alice rolled back the deploy at 14:32.",
        "The alert should have fired at 80% but its threshold was 98%.",
        "Jack up the limit and move on.",
        "The pods restarted and failed to start.",
        "The deploy's config change caused the outage.",
        "The outage was caused by the Kubernetes operator.",
        "The outage was caused by a load spike.",
        "The rollout tool needs to be more careful about batch sizes.",
        "If the alert had fired earlier, we would have rolled back.",
        "If the pipeline had checked the schema, the deploy would have stopped.",
        "A lack of attention to capacity planning across the org made this likely.",
        "The network switch rebooted and failed to rejoin the stack.",
        "Bob's team owns the service.",
        "The deploy tool restarted the pods and failed to report progress.",
        "Root cause: the engineer's script had no dry-run mode.",
        "The root cause is the engineers' lack of access to the dashboards.",
        "Root cause: the operator (Kubernetes) restarted pods during the upgrade.",
    ],
)
def test_neutral_sentence_does_not_fire(sentence):
    assert rules_fired(sentence) == set()


def test_hit_reports_phrase_line_and_a_rewording():
    [hit] = scan_text("Intro line.\n\nIt was Kevin's fault.\n")
    assert hit.line == 3
    assert hit.phrase == "Kevin's fault"
    assert hit.rule == "blameless/fault" and hit.severity == "error"
    assert "safeguard" in hit.suggestion  # points at the system, not the person


# --- prose extraction -------------------------------------------------------------------------


def test_prose_lines_skips_code_quotes_comments_and_front_matter_keys():
    text = "\n".join(
        [
            "---",  # 1
            "id: X-1",  # 2
            "owner: careless-bot",  # 3 (not prose)
            "summary: Human error by the on-call.",  # 4 (prose)
            "---",  # 5
            "Plain prose.",  # 6
            "```",  # 7
            "engineer failed to confirm",  # 8
            "```",  # 9
            "> Kevin should have known better.",  # 10
            "<!-- TODO: careless -->",  # 11
            "Run `forgot to` here and \"negligent\" there.",  # 12
            "",  # 13
            "    indented code: operator error",  # 14
        ]
    )
    lines = dict(prose_lines(text))
    assert 4 in lines and "Human error" in lines[4]
    assert 6 in lines
    assert not {2, 3, 8, 10, 14} & set(lines)
    assert "careless" not in lines.get(11, "")
    assert "forgot" not in lines[12] and "negligent" not in lines[12]
    hits = scan_text(text)
    assert [h.line for h in hits] == [4]


def test_tilde_fence_and_unclosed_comment():
    text = "~~~\nthe engineer failed to check\n~~~\n<!--\ncareless\n-->\nAfter.\n"
    assert scan_text(text) == []


def test_prose_lines_share_the_parsers_fences():
    text = "\n".join(
        [
            "- Rolled back:",  # 1
            "  - with the script",  # 2
            "    ```",  # 3 a fence under a nested bullet
            "    # the engineer failed to check",  # 4
            "    ```",  # 5
            "```",  # 6
            "``` not a closing fence",  # 7
            "the operator was careless",  # 8
            "```",  # 9
            "The fix shipped.",  # 10
            "\t```",  # 11 tab-indented: not a fence, so the next line is prose
            "After the tab.",  # 12
        ]
    )
    assert sorted(n for n, _ in prose_lines(text)) == [1, 2, 10, 11, 12]


# Words as in the rule file: runs of letters and hyphens with single spaces between them.
_words = st.sets(
    st.lists(st.text(alphabet="ab-", min_size=1, max_size=3), min_size=1, max_size=3).map(" ".join), min_size=1, max_size=8
)


@settings(max_examples=300, deadline=None)
@given(words=_words, text=st.text(alphabet="ab -\t", max_size=14))
def test_trie_matches_as_the_flat_alternation_does(words, text):
    """One trie builder serves names, roles and the `requires` union: by default it matches
    what the alternation sorted longest first matches; `loose_spaces` lets a space match any
    white space; `shortest` answers the same yes/no for a search."""
    def matched(pattern: str) -> str | None:
        m = re.match(pattern, text)
        return m.group(0) if m else None

    longest_first = sorted(words, key=len, reverse=True)
    flat = "|".join(re.escape(w) for w in longest_first)
    assert matched(blameless._trie(words)) == matched(f"(?:{flat})")
    loose = "|".join(re.escape(w).replace("\\ ", r"\s+") for w in longest_first)
    assert matched(blameless._trie(words, loose_spaces=True)) == matched(f"(?:{loose})")
    assert bool(re.search(blameless._trie(words, shortest=True), text)) == bool(re.search(flat, text))


def test_apostrophes_are_not_quotes():
    # "engineer's" must not open a quotation that hides the rest of the line.
    assert "blameless/fault" in rules_fired("It was the engineer's fault, not the 'system' at all.")


# --- subjects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "before, kind",
    [
        ("The engineer ", "person"),
        ("The on-call engineer also ", "person"),
        ("Kevin ", "person"),
        ("@kim ", "person"),
        ("The job ", "system"),
        ("The Kubernetes operator ", "system"),
        ("The operator ", "person"),
        ("We ", "none"),
        ("No one ", "none"),
        ("The flux capacitor ", "unknown"),
        ("The support agent ", "person"),
        ("The monitoring agent ", "system"),
    ],
)
def test_subject_kind(before, kind):
    r = default_rules()
    assert r.subject_kind(r.mark_names(before)) == kind


# --- team rule files ------------------------------------------------------------------------


def test_team_rules_extend_replace_and_disable(tmp_path):
    extra = tmp_path / "team.toml"
    extra.write_text(
        """
disable = ["blameless/judgement"]

[people]
names = ["Zbigniew"]

[[blameless]]
id = "team/hero"
severity = "info"
pattern = '''\\bsaved the day\\b'''
subject = "not-system"
message = "hero narratives hide the system"
suggestion = "describe what made recovery possible"

[[blameless]]
id = "blameless/fault"
severity = "warning"
pattern = '''\\bfault of\\b'''
message = "fault"
suggestion = "rephrase"
""",
        encoding="utf-8",
    )
    rules = load_rules(extra)
    # A team's own names make "X failed to <anything>" about a person ...
    assert {h.rule for h in scan_text("Zbigniew failed to drain the node.", rules)} == {"blameless/failed-to"}
    # ... while an unknown word with a machine verb stays neutral by default.
    assert {h.rule for h in scan_text("Zbigniew failed to drain the node.")} == set()
    assert [h.rule for h in scan_text("Maria saved the day.", rules)] == ["team/hero"]
    assert [h.severity for h in scan_text("It was the fault of the DBA.", rules)] == ["warning"]
    assert scan_text("It was Kevin's fault.", rules) == []  # replaced pattern no longer matches
    assert "blameless/judgement" in rules.disabled
    # default rules are untouched by loading a team file
    assert "blameless/judgement" not in default_rules().disabled


def test_team_rule_can_override_one_field(tmp_path):
    extra = tmp_path / "soft.toml"
    extra.write_text('[[blameless]]\nid = "blameless/human-error"\nseverity = "info"\n', encoding="utf-8")
    [hit] = scan_text("Root cause: human error.", load_rules(extra))
    assert (hit.rule, hit.severity) == ("blameless/human-error", "info")


def test_bad_team_rule_names_the_rule(tmp_path):
    extra = tmp_path / "bad.toml"
    extra.write_text("[[blameless]]\nid = 'team/x'\npattern = '(unclosed'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="team/x"):
        load_rules(extra)
    extra.write_text("[[blameless]]\nid = 'team/y'\nseverity = 'fatal'\npattern = 'x'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="severity"):
        load_rules(extra)


def test_default_rule_file_is_packaged_next_to_the_module():
    assert blameless.DEFAULT_RULES_PATH.name == "lint_rules.toml" and blameless.DEFAULT_RULES_PATH.exists()


def test_every_default_pattern_compiles():
    # Main patterns compile lazily (a clean file never needs most of them); make sure they can.
    rules = default_rules()
    for rule in rules.rules:
        assert rule.pattern.compiled().pattern
    rules.rca_person_actions.compiled()
    rules.rca_systemic.compiled()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_scanning_arbitrary_text_never_crashes_and_lines_are_in_range(text):
    n_lines = max(len(text.splitlines()), 1)
    for hit in scan_text(text):
        assert 1 <= hit.line <= n_lines


@pytest.mark.parametrize(
    "text",
    [
        # raised, then rejected in the next sentence (same line, or the next line of the paragraph)
        "Some would put the outage down to human error by whoever merged it. We don't think that is accurate: the review let it through.",
        "Some of us first filed this under human error.\nWe do not think that was fair: the form had no unit on the amount field.",
        "On the call it was put down to a human mistake. That misses the point: nothing validated the file.",
        # raised as a question, and rejected within the sentence
        "## Was it human error?",
        "It would be simple, and we think wrong, to write this up as a human error.",
    ],
)
def test_human_error_raised_only_to_be_rejected_is_not_blame(text: str) -> None:
    assert [h.rule for h in scan_text(text) if h.rule == "blameless/human-error"] == []


def test_the_rejection_is_read_from_the_next_sentence() -> None:
    # The same first sentence on its own is blame: only the next sentence takes it back.
    assert [h.rule for h in scan_text("Some would put the outage down to human error by whoever merged it.")] == ["blameless/human-error"]


@pytest.mark.parametrize(
    "text",
    [
        "The root cause was human error. We don't think the dashboards helped either.",
        "This was human error by the on-call engineer.\nThe runbook was fine.",
    ],
)
def test_human_error_as_a_cause_still_fires_when_the_next_sentence_rejects_nothing(text: str) -> None:
    assert "blameless/human-error" in [h.rule for h in scan_text(text)]


def test_as_if_and_even_if_are_not_hindsight_about_a_person() -> None:
    assert scan_text("Generated files are reviewed as if someone had written them by hand.") == []
    assert scan_text("Even if the on-call had checked, the alert was pointing at the wrong host.") == []
    assert [h.rule for h in scan_text("If the engineer had checked the dashboard, we would have caught it.")] == ["blameless/should-have"]
