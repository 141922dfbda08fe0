"""The shared scanner: fenced code blocks, pipe tables, inline code spans (pipelines/parsing/blocks.py)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pipelines.parsing.blocks import code_blocks, code_lines, code_spans, read_table, table_cells


def _code(text: str) -> list[int]:
    """0-based indices of the lines of `text` inside fenced code."""
    return [i for i, inside in enumerate(code_lines(text.split("\n"))) if inside]


# ---- fences ------------------------------------------------------------------------------


def test_backtick_and_tilde_fences_close_only_their_own_kind() -> None:
    assert _code("~~~\n```\nstill code\n~~~\nprose") == [0, 1, 2, 3]
    assert _code("```\n~~~\nstill code\n```\nprose") == [0, 1, 2, 3]


def test_closing_fence_must_be_at_least_as_long() -> None:
    assert _code("````\n```\ncode\n`````\nprose") == [0, 1, 2, 3]
    assert _code("~~~~\n~~~\ncode\n~~~~\nprose") == [0, 1, 2, 3]


def test_closing_fence_takes_no_info_string_but_trailing_spaces() -> None:
    assert _code("```\ncode\n``` not a close\n```   \nprose") == [0, 1, 2, 3]


def test_indented_four_spaces_or_a_tab_is_not_a_fence() -> None:
    assert _code("    ```\n# text\n    ```") == []
    assert _code("\t```\ntext") == []
    assert _code("   ```\ncode\n   ```\nprose") == [0, 1, 2]
    # ... nor does a closing run indented four spaces close a block.
    assert _code("```\ncode\n    ```\nstill code\n```\nprose") == [0, 1, 2, 3, 4]


def test_backtick_fence_info_string_holds_no_backtick() -> None:
    assert _code("```a```\nprose") == []  # an inline code span, not a fence
    assert _code("~~~ `tildes may`\ncode\n~~~") == [0, 1, 2]


def test_unclosed_fence_runs_to_the_end() -> None:
    blocks = code_blocks(["intro", "```", "## not a heading", "- not an item"])
    assert [(b.start, b.end, b.fence, b.closed) for b in blocks] == [(1, 4, "```", False)]


def test_fence_inside_a_list_item() -> None:
    text = "1. Restart the pods:\n   ```\n   # not a heading\n   ```\n2. Watch the error rate"
    assert _code(text) == [1, 2, 3]
    # Under a nested bullet the fence counts from the item's content column (5 here), not the margin.
    nested = "- Mitigation\n  - rolled back with:\n    ```\n    # comment\n    ```\n- next"
    assert _code(nested) == [2, 3, 4]
    deeper = "- a\n  - b\n    1. c\n       ```\n       code\n       ```"
    assert _code(deeper) == [3, 4, 5]


def test_fence_ends_with_the_list_item_that_holds_it() -> None:
    assert _code("- item\n  ```\n  code\ntext at the margin\n```") == [1, 2, 4]


def test_a_fence_can_open_on_the_list_marker_line() -> None:
    assert _code("- ```\n  code\n  ```\n- item") == [0, 1, 2]


def test_a_lazy_line_keeps_the_list_item_open() -> None:
    # "wrapped" continues the item's paragraph lazily, so the fence five spaces in still sits
    # in the item (content column 3), where it is indented only two.
    assert _code("1. item\nwrapped\n     ```\n     code\n     ```") == [2, 3, 4]


# ---- the fence scanner against a CommonMark reference implementation ----------------------

_MD = MarkdownIt("commonmark")
# List markers only at indents where an item's content column sits at most four columns past
# its container's: beyond that, markdown-it and cmark (the reference) disagree about lazy lines.
_MARKERS = {"- x": (0, 2, 4), "* x": (0, 2, 4), "-": (0, 2, 4), "- ```": (0, 2, 4), "1. x": (0,), "2. x": (0,), "1.": (0,)}
_OTHER = ("text", "# h", "```", "````", "~~~", "~~~~", "```py", "``` x`", "```  ", "````` ", "---", "===", "***", "a\tb")
_line = st.one_of(
    st.just(""),
    st.sampled_from(sorted(_MARKERS)).flatmap(lambda m: st.sampled_from(_MARKERS[m]).map(lambda n: " " * n + m)),
    st.tuples(st.sampled_from(["", "\t"]), st.integers(0, 8), st.sampled_from(_OTHER)).map(lambda t: t[0] + " " * t[1] + t[2]),
)


def _reference_code_lines(lines: list[str]) -> list[bool]:
    mask = [False] * len(lines)
    for token in _MD.parse("\n".join(lines)):
        if token.type == "fence" and token.map:
            start, end = token.map
            mask[start:end] = [True] * (end - start)
    return mask


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, min_size=1, max_size=14))
def test_fenced_lines_agree_with_markdown_it(lines: list[str]) -> None:
    ours, reference = code_lines(lines), _reference_code_lines(lines)
    # Blank lines at a block's end are code to one and not to the other; no reader cares.
    assert [o for o, line in zip(ours, lines) if line.strip()] == [r for r, line in zip(reference, lines) if line.strip()]


# ---- inline code ------------------------------------------------------------------------


def test_code_spans_pair_runs_of_equal_length() -> None:
    text = "run `a` then ``b ` c`` and ` alone"
    assert [text[a:b] for a, b in code_spans(text)] == ["`a`", "``b ` c``"]
    assert code_spans("no code") == []


def test_code_spans_stay_linear_on_a_backtick_flood() -> None:
    start = time.perf_counter()
    code_spans("`" * 20_000 + " x " + "``" * 5_000)
    assert time.perf_counter() - start < 1.0


# ---- tables ------------------------------------------------------------------------------


def test_escaped_pipes_stay_in_the_cell() -> None:
    assert table_cells(r"| a \| b | c |") == ["a | b", "c"]
    assert table_cells(r"| ends in a pipe \| |") == ["ends in a pipe |"]


def test_pipes_inside_inline_code_do_not_split() -> None:
    assert table_cells("| run `grep a|b` | @ana |") == ["run `grep a|b`", "@ana"]
    assert table_cells("| `x || y` | `unpaired | z |") == ["`x || y`", "`unpaired", "z"]


def test_cells_without_outer_pipes_and_lines_without_pipes() -> None:
    assert table_cells("Time | Event") == ["Time", "Event"]
    assert table_cells("no pipe here") is None


def test_read_table_header_delimiter_and_body_rows() -> None:
    lines = ["intro", "| Time | Event |", "|:-----|-----:|", "| 10:02 | deploy |", "| 10:05 | `a|b` |", "after"]
    table = read_table(lines, 1)
    assert table is not None
    assert (table.start, table.end, table.header) == (1, 5, ["Time", "Event"])
    assert table.rows == [(3, ["10:02", "deploy"]), (4, ["10:05", "`a|b`"])]


def test_missing_delimiter_row_is_no_table() -> None:
    assert read_table(["| Time | Event |", "| 10:02 | deploy |"], 0) is None
    assert read_table(["| Time | Event |"], 0) is None


def test_table_without_outer_pipes() -> None:
    table = read_table(["Time | Event", "--- | ---", "10:02 | deploy"], 0)
    assert table is not None and table.rows == [(2, ["10:02", "deploy"])]


def test_table_ends_at_a_line_without_pipe_a_fence_or_a_heading() -> None:
    head = ["| a | b |", "|---|---|", "| 1 | 2 |"]
    for stop in ("plain text", "```|x", "## Impact | scope"):
        table = read_table([*head, stop, "| 3 | 4 |"], 0)
        assert table is not None and table.end == 3, stop


def test_read_table_respects_its_end_bound() -> None:
    lines = ["| a | b |", "|---|---|", "| 1 | 2 |", "| 3 | 4 |"]
    assert read_table(lines, 0, end=3).end == 3  # type: ignore[union-attr]
    assert read_table(lines, 0, end=1) is None  # the delimiter row lies beyond the bound


# ---- every reader skips the same code ---------------------------------------------------

from pipelines.model import Section  # noqa: E402
from pipelines.parsing.action_items import extract_action_items  # noqa: E402
from pipelines.parsing.factors import factors_from_section  # noqa: E402
from pipelines.parsing.sections import find_headings  # noqa: E402

# Lines each reader would report (headings, table rows, action items, factors) were they not code.
_CONTENT = (
    "## Root cause", "Impact", "======", "**Timeline:** from 10:02", "Lessons learned:",
    "| Action | Owner |", "|---|---|", "| Add a pool alert | @ana |", "Time | Event", "--- | ---",
    "- [ ] Add an alert on pool use (owner: @ana, due 2024-06-01)", "1. The pool ran out because the limit was low",
    "* The deploy script skipped the canary stage entirely", "  - nested detail about the retry storm",
    "The cache was cold because the warmup job had been disabled",
)
_FENCES = ("```", "~~~", "````", "```sh", "  ```", "   ~~~~", "    ```", "- ```", "1. ~~~", "``` x`", "```  ")
_document = st.lists(st.one_of(st.just(""), st.sampled_from(_CONTENT), st.sampled_from(_FENCES)), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document)
def test_no_line_inside_a_fence_is_read_as_heading_table_row_item_or_factor(lines: list[str]) -> None:
    code = {i for i, inside in enumerate(code_lines(lines)) if inside}
    body = "\n".join(lines)
    assert not code & {h.line_index for h in find_headings(lines)}
    tables = [read_table(lines, i) for i in range(len(lines)) if i not in code]
    assert not code & {j for t in tables if t is not None for j, _ in t.rows}
    assert not code & {item.line - 1 for item in extract_action_items(body, 1)}
    section = Section("root_cause", "Root cause", body, 1)
    assert not code & {f.line - 1 for f in factors_from_section(section, 1)}
