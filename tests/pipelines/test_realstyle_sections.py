"""Sections and timeline entries of the realstyle fixtures match their hand-checked truth: every
heading convention of tests/fixtures/realstyle/README.md ("Files"), read as the dev set defines
sections (an unheaded opening paragraph is not a section; only its eight keys are scored)."""

from __future__ import annotations

import pytest

from tests.pipelines.realstyle import load, truth

SCORED = {"summary", "impact", "root_cause", "timeline", "what_went_well", "what_went_poorly", "action_items", "lessons_learned"}


@pytest.mark.parametrize("name", sorted(truth()))
def test_sections_present(name: str) -> None:
    inc = load(name)
    got = {s.kind for s in inc.sections if s.kind in SCORED and s.heading}
    assert got == set(truth()[name]["sections_present"])


@pytest.mark.parametrize("name", sorted(n for n in truth() if ":" not in n))
def test_timeline_entries(name: str) -> None:
    assert len(load(name).timeline) == truth()[name]["timeline_events"]
