"""Action items: bullets, checkboxes, markers, tables, status normalization."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.parsing.action_items import extract_action_items, normalize_status

REF = date(2024, 3, 5)


def one(line: str) -> tuple:
    (a,) = extract_action_items(line, 1, REF)
    return (a.text, a.owner, a.due_date, a.status, a.priority, a.kind, a.ticket)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- Add an alert", ("Add an alert", None, None, "open", None, None, None)),
        ("- [x] Add an alert", ("Add an alert", None, None, "done", None, None, None)),
        ("* [ ] Add an alert @sam", ("Add an alert", "sam", None, "open", None, None, None)),
        ("- @sam: Add an alert", ("Add an alert", "sam", None, "open", None, None, None)),
        ("- Ask @sam to add an alert", ("Ask sam to add an alert", "sam", None, "open", None, None, None)),
        ("- Add an alert (@sam, due 2024-05-01)", ("Add an alert", "sam", date(2024, 5, 1), "open", None, None, None)),
        ("- Add an alert (due May 1)", ("Add an alert", None, date(2024, 5, 1), "open", None, None, None)),
        ("- Add an alert (due Jan 10)", ("Add an alert", None, date(2025, 1, 10), "open", None, None, None)),
        ("- Add an alert, due: 2024-05-01, owner: Sam Lee", ("Add an alert", "Sam Lee", date(2024, 5, 1), "open", None, None, None)),
        ("- Add an alert by 2024-05-01", ("Add an alert", None, date(2024, 5, 1), "open", None, None, None)),
        ("- [DONE] Add an alert", ("Add an alert", None, None, "done", None, None, None)),
        ("- DONE: Add an alert", ("Add an alert", None, None, "done", None, None, None)),
        ("- TODO Add an alert", ("Add an alert", None, None, "open", None, None, None)),
        ("- Add an alert (in progress)", ("Add an alert", None, None, "in_progress", None, None, None)),
        ("- [WIP] Add an alert", ("Add an alert", None, None, "in_progress", None, None, None)),
        ("- Add an alert (won't fix)", ("Add an alert", None, None, "wont_fix", None, None, None)),
        ("- [x] Add an alert (won't fix)", ("Add an alert", None, None, "wont_fix", None, None, None)),
        ("- ~~Add an alert~~", ("Add an alert", None, None, "done", None, None, None)),
        ("- ✅ Add an alert", ("Add an alert", None, None, "done", None, None, None)),
        ("- Add an alert [OPS-42]", ("Add an alert", None, None, "open", None, None, "OPS-42")),
        ("- Add an alert OPS-42", ("Add an alert", None, None, "open", None, None, "OPS-42")),
        ("- Add an alert (#812)", ("Add an alert", None, None, "open", None, None, "#812")),
        ("- Add an alert https://tracker.example.com/T/9", ("Add an alert", None, None, "open", None, None, "https://tracker.example.com/T/9")),
        ("- Fix UTF-8 handling in the parser", ("Fix UTF-8 handling in the parser", None, None, "open", None, None, None)),
        ("- Add an alert (P1)", ("Add an alert", None, None, "open", "P1", None, None)),
        ("- Add an alert [prevent]", ("Add an alert", None, None, "open", None, "prevent", None)),
        ("- Add an alert (status: done)", ("Add an alert", None, None, "done", None, None, None)),
        ("1. Add an alert — owner: Sam", ("Add an alert", "Sam", None, "open", None, None, None)),
        ("- Email ops@example.com weekly", ("Email ops@example.com weekly", None, None, "open", None, None, None)),
        ("- Add an alert @acme/sre-team", ("Add an alert", "acme/sre-team", None, "open", None, None, None)),
        ("- [ABC-12](https://j/ABC-12) Add an alert", ("Add an alert", None, None, "open", None, None, "ABC-12")),
        ("- OPS-7: Add an alert", ("Add an alert", None, None, "open", None, None, "OPS-7")),
        ("- [Add an alert](https://git/pull/9)", ("Add an alert", None, None, "open", None, None, "https://git/pull/9")),
        ("- Add an alert. Owner: Sam Lee. Due: 2024-05-01. Status: Won't Fix.", ("Add an alert", "Sam Lee", date(2024, 5, 1), "wont_fix", None, None, None)),
    ],
)
def test_bullet_formats(line: str, expected: tuple) -> None:
    assert one(line) == expected


def test_sub_bullets_attach_to_their_parent() -> None:
    body = "- Add an alert\n  - Owner: Sam\n  - Due: 2024-05-01\n  - Status: in progress\n- Second item"
    items = extract_action_items(body, 10, REF)
    assert [(a.text, a.owner, a.due_date, a.status, a.line) for a in items] == [
        ("Add an alert", "Sam", date(2024, 5, 1), "in_progress", 10),
        ("Second item", None, None, "open", 14),
    ]


def test_table_with_aliased_columns() -> None:
    body = (
        "| # | Task | Assignee | Deadline | State | Prio | Kind | Jira |\n"
        "|:-:|:-----|----------|----------|-------|------|------|------|\n"
        "| 1 | Add an alert | @sam | 2024-05-01 | Closed | P2 | detect | [OPS-1](https://j/OPS-1) |\n"
        "| 2 | Fix the \\| pipe | n/a | TBD | [ ] | high | | |\n"
        "| 3 | | | | | | | |\n"
    )
    items = extract_action_items(body, 1, REF)
    assert [(a.text, a.owner, a.due_date, a.status, a.priority, a.kind, a.ticket) for a in items] == [
        ("Add an alert", "sam", date(2024, 5, 1), "done", "P2", "detect", "OPS-1"),
        ("Fix the | pipe", None, None, "open", "high", None, None),
    ]


def test_table_without_a_known_text_column_uses_first_free_column() -> None:
    body = "| Thing | Owner |\n|---|---|\n| Add an alert | sam |\n"
    assert [(a.text, a.owner) for a in extract_action_items(body, 1, REF)] == [("Add an alert", "sam")]


def test_table_cells_keep_inline_code_pipes_and_line_numbers() -> None:
    body = "| Action | Owner | Due |\n|---|---|---|\n| Check `grep -E 'a|b'` in the runbook | @cy | 2024-08-01 |\n"
    (item,) = extract_action_items(body, 40, REF)
    assert (item.text, item.owner, item.due_date, item.line) == ("Check `grep -E 'a|b'` in the runbook", "cy", date(2024, 8, 1), 42)


def test_bullets_in_fenced_code_are_not_items() -> None:
    body = (
        "- Add an alert\n"
        "  ```\n"
        "  - [ ] a bullet in the item's code block\n"
        "  ```\n"
        "~~~\n"
        "```\n"
        "- [ ] a backtick line does not close a tilde fence\n"
        "~~~\n"
        "- Review the runbook"
    )
    assert [a.text for a in extract_action_items(body, 1, REF)] == ["Add an alert", "Review the runbook"]


def test_paragraph_lines_become_items_only_without_a_list() -> None:
    body = "We will do the following:\nAdd an alert on disk usage.\nReview the runbook."
    assert [a.text for a in extract_action_items(body, 1, REF)] == ["Add an alert on disk usage", "Review the runbook"]
    body = "Intro paragraph.\n\n- Add an alert"
    assert [a.text for a in extract_action_items(body, 1, REF)] == ["Add an alert"]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Done", "done"), ("COMPLETED", "done"), ("closed", "done"), ("Fixed", "done"), ("shipped", "done"),
        ("In Progress", "in_progress"), ("in-progress", "in_progress"), ("WIP", "in_progress"), ("ongoing", "in_progress"),
        ("Won't Fix", "wont_fix"), ("wontfix", "wont_fix"), ("Won't Do", "wont_fix"), ("Cancelled", "wont_fix"),
        ("declined", "wont_fix"), ("Open", "open"), ("Not started", "open"), ("TODO", "open"), ("", "open"), (None, "open"),
    ],
)
def test_normalize_status(raw: str | None, status: str) -> None:
    assert normalize_status(raw) == status
