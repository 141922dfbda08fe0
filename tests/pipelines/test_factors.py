"""Contributing factors from cause sections, five whys, and cue sentences in prose."""

from __future__ import annotations

from pipelines.parsing.factors import extract_factors, has_cause_cue, split_sentences
from pipelines.model import Section


def texts(sections: list[tuple[Section, int]]) -> list[tuple[str, str, int]]:
    return [(f.source_section, f.text, f.line) for f in extract_factors(sections)]


def test_bullets_and_sentences_under_cause_sections() -> None:
    root = Section("root_cause", "Root cause", "- A **bad** [config](http://x) push.\n  - nested detail here\n- Retries `amplified` load.", 5)
    poorly = Section("what_went_poorly", "What went wrong", "The alert was slow to fire. We had no runbook, e.g. for failover.", 20)
    summary = Section("summary", "Summary", "This was caused by a bug.", 1)
    got = texts([(summary, 2), (root, 6), (poorly, 21)])
    assert got == [
        ("root_cause", "A bad config push.; nested detail here", 6),
        ("root_cause", "Retries amplified load.", 8),
        ("what_went_poorly", "The alert was slow to fire.", 21),
        ("what_went_poorly", "We had no runbook, e.g. for failover.", 21),
    ]


def test_five_whys_keep_the_answers() -> None:
    whys = Section(
        "root_cause",
        "Five whys",
        "1. Why did checkout fail? Because the pool was exhausted.\n"
        "2. **Why 2:** The pool was sized for last year's traffic.\n"
        "3. Why? Unknown",
        1,
    )
    # Questions are dropped, "Why 2:" labels too; "Why? Unknown" leaves too little to keep.
    assert [t for _, t, _ in texts([(whys, 2)])] == [
        "Because the pool was exhausted.",
        "The pool was sized for last year's traffic.",
    ]


def test_short_fragments_and_list_intros_are_skipped() -> None:
    sec = Section("root_cause", "Root cause", "Several things went wrong:\n\n- Bad config.\n- A retry storm hit the database.", 1)
    assert [t for _, t, _ in texts([(sec, 2)])] == ["A retry storm hit the database."]


def test_unsectioned_document_uses_cause_cues() -> None:
    body = (
        "On Monday the API was down for an hour. The outage was caused by an expired certificate. "
        "We apologise. The renewal job had failed because its token was revoked."
    )
    got = texts([(Section("summary", "", body, 1), 1)])
    assert got == [
        ("summary", "The outage was caused by an expired certificate.", 1),
        ("summary", "The renewal job had failed because its token was revoked.", 1),
    ]


def test_cue_fallback_applies_when_cause_sections_are_empty() -> None:
    empty_root = Section("root_cause", "Root cause", "", 5)
    impact = Section("impact", "Impact", "Checkout was slow due to a saturated pool.", 1)
    assert texts([(impact, 2), (empty_root, 6)]) == [("impact", "Checkout was slow due to a saturated pool.", 2)]


def test_sentence_splitting_respects_abbreviations() -> None:
    assert split_sentences("We use e.g. retries. Then U.S. traffic. Done now.") == [
        "We use e.g. retries.", "Then U.S. traffic.", "Done now.",
    ]


def test_cause_cues_are_case_insensitive() -> None:
    assert has_cause_cue("Root Cause was a MISCONFIGURED flag")
    assert not has_cause_cue("We apologise for the inconvenience.")


def test_remediation_and_investigation_sentences_are_not_causes() -> None:
    assert not has_cause_cue("Going forward we will add a limit on retries.")
    assert not has_cause_cue("In response, the team re-introduced the missing CPU protection.")
    assert not has_cause_cue("Engineers were alerted at 8:21 and identified the root cause by 8:48.")
    assert has_cause_cue("To prevent recurrence we note the outage was caused by a stale cache.")
    assert has_cause_cue("A retry storm overloaded the database.")


def test_code_blocks_and_tables_hold_no_factors() -> None:
    body = (
        "- The pool limit was set for last year's traffic\n"
        "  - tuned by hand in the config\n"
        "    ```\n"
        "    # the retry loop never backed off\n"
        "    ```\n"
        "| Factor | Notes |\n"
        "|---|---|\n"
        "| The cache `key|prefix` changed | found later |\n"
        "\n"
        "Retries amplified the load on the database."
    )
    got = texts([(Section("root_cause", "Root cause", body, 1), 2)])
    assert got == [
        ("root_cause", "The pool limit was set for last year's traffic; tuned by hand in the config", 2),
        ("root_cause", "Retries amplified the load on the database.", 11),
    ]
