"""Heading classification and section splitting."""

from __future__ import annotations

import pytest

from pipelines.parsing.sections import classify_heading, find_headings, split_sections


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        # Google SRE book
        ("Summary", "summary"), ("Impact", "impact"), ("Root Causes", "root_cause"), ("Trigger", "trigger"),
        ("Resolution", "resolution"), ("Detection", "detection"), ("Action Items", "action_items"),
        ("Lessons Learned", "lessons_learned"), ("What went well", "what_went_well"),
        ("What went wrong", "what_went_poorly"), ("Where we got lucky", "where_we_got_lucky"), ("Timeline", "timeline"),
        # PagerDuty
        ("Overview", "summary"), ("What Happened", "summary"), ("Contributing Factors", "root_cause"),
        ("Responders", "other"), ("How'd We Do?", "lessons_learned"), ("How’d the team do?", "lessons_learned"),
        # Atlassian
        ("Incident summary", "summary"), ("Leadup", "trigger"), ("Fault", "root_cause"), ("Response", "resolution"),
        ("Recovery", "resolution"), ("Five whys", "root_cause"), ("5 Whys", "root_cause"),
        ("Follow-up tasks", "action_items"), ("Lessons", "lessons_learned"),
        # GitLab and short templates
        ("Corrective actions", "action_items"), ("What can be improved", "what_went_poorly"),
        ("Root Cause Analysis", "root_cause"), ("Next steps", "action_items"), ("TL;DR", "summary"),
        ("Why", "root_cause"), ("Fix", "resolution"), ("Follow-ups", "action_items"),
        ("What didn't go so well", "what_went_poorly"), ("Detection & Response", "detection"),
        # numbering, emoji, colons, case, typos
        ("3. Root cause:", "root_cause"), ("III. Impact", "impact"), ("iv) Timeline", "timeline"),
        ("🔥 Impact", "impact"), ("⏱️ Timeline (UTC)", "timeline"), ("✅ Action itmes", "action_items"),
        ("Root Casue", "root_cause"), ("Timline", "timeline"), ("Sumary", "summary"), ("Lesons lernt", "lessons_learned"),
        ("ROOT CAUSE", "root_cause"), ("2.1 Contributing factors", "root_cause"), ("Section 4: Resolution", "resolution"),
        # not sections
        ("Appendix", "other"), ("Glossary", "other"), ("Database failover stalled checkout", "other"), ("", "other"),
    ],
)
def test_classify_heading(heading: str, kind: str) -> None:
    assert classify_heading(heading) == kind


def test_find_headings_skips_code_fences_and_reads_setext_and_bold() -> None:
    lines = [
        "Intro text",
        "",
        "Impact",
        "======",
        "text",
        "```md",
        "# not a heading",
        "```",
        "~~~",
        "## nor this",
        "~~~",
        "**Root cause:** bad config",
        "**30 July 2012, 02:33 IST.** A sentence in bold is not a heading.",
        "Note: plain prose with a colon",
        "Lessons learned:",
        "- a bullet",
        "---",
        "#hashtag is not a heading",
    ]
    found = [(h.line_index, h.level, h.text, h.inline) for h in find_headings(lines)]
    assert found == [
        (2, 1, "Impact", None),
        (11, 7, "Root cause", "bad config"),
        (14, 7, "Lessons learned", None),
    ]


def test_table_rows_are_never_headings() -> None:
    lines = [
        "Component | Notes",
        "--- | ---",
        "Root cause: the index | was rebuilt at peak",
        "**Impact:** all users | saw slow search",
        "## Impact | scope",  # an ATX heading ends the table and stays a heading
    ]
    assert [(h.line_index, h.text) for h in find_headings(lines)] == [(4, "Impact | scope")]


def test_bullet_followed_by_dashes_is_not_a_setext_heading() -> None:
    assert find_headings(["- item", "---", "| a |", "---"]) == []


def test_split_sections_preamble_and_nested_other_subheadings() -> None:
    lines = [
        "Preamble line.",
        "",
        "## Timeline",
        "",
        "### 2024-03-05",
        "- 14:02 start",
        "## Root cause",
        "### Why did the pool fill?",
        "Because of a leak.",
        "## Appendix",
        "### Glossary",
        "words",
    ]
    got = [(s.kind, s.heading, s.body, s.line, first) for s, first in split_sections(lines, 10, find_headings(lines))]
    assert got == [
        ("summary", "", "Preamble line.", 11, 11),
        ("timeline", "Timeline", "### 2024-03-05\n- 14:02 start", 13, 15),
        ("root_cause", "Root cause", "### Why did the pool fill?\nBecause of a leak.", 17, 18),
        ("other", "Appendix", "", 20, 21),
        ("other", "Glossary", "words", 21, 22),
    ]


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        # Azure post-incident reviews: the commitments are action items, customer advice is not
        ("How did we respond?", "timeline"),
        ("How are we making incidents like this less likely or less impactful?", "action_items"),
        ("How can customers make incidents like this less impactful?", "other"),
        # Wikimedia, Etsy debriefs, messy notes
        ("Actionables", "action_items"), ("AIs", "action_items"), ("Changes we are making", "action_items"),
        ("What surprised us", "lessons_learned"), ("What went right", "what_went_well"),
        ("things that went ok", "what_went_well"), ("not ok", "what_went_poorly"),
        # headings that name no section of their own
        ("Open questions", "other"), ("Questions", "other"), ("The story", "other"), ("Human error?", "other"),
        ("Background", "other"), ("Key information", "other"),
    ],
)
def test_real_template_headings(heading: str, kind: str) -> None:
    assert classify_heading(heading) == kind


def test_plain_capitals_and_long_bold_lines_are_headings_but_field_lines_are_not() -> None:
    lines = [
        "Incident began at 05:55 and ended at 08:30.",
        "",
        "ISSUE SUMMARY",
        "",
        "Card payments were declined.",
        "",
        "**How are we making incidents like this less likely or less impactful?**",
        "",
        "- We added an alert.",
        "",
        "Affected services: checkout, payments hub",
        "**Incident:** INC-219 · Sign in with Apple failing",
        "WARNING this is shouted prose, not a heading",
    ]
    assert [(h.line_index, h.text) for h in find_headings(lines)] == [
        (2, "ISSUE SUMMARY"), (6, "How are we making incidents like this less likely or less impactful?"),
    ]
