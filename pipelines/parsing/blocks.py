"""Fenced code blocks, pipe tables and inline code spans: the line-level Markdown that every
parser and the linter read the same way (one scanner, so a line is code for all of them or
for none).

Fences follow CommonMark 0.31 ("Fenced code blocks"): an opening fence is a run of three or
more backticks or tildes indented 0-3 spaces (a tab counts as four, so a tab-indented run is
indented code, not a fence); after a backtick run the rest of the line may hold no backtick
(```` ```a``` ```` is an inline code span). The block ends at a closing fence: a run of the
same character at least as long as the opening run, indented 0-3 spaces, followed only by
spaces or tabs. An unclosed fence runs to the end of the text. Inside a list item the 0-3
spaces count from the item's content column, as CommonMark counts them, so a fence under a
nested bullet is seen; the item (and a fence in it) ends at a line indented less than its
content, unless that line lazily continues the item's paragraph. Block quotes are not
tracked: a fence after `>` is not seen (no parser reads quoted lines as structure anyway).

Tables follow GFM ("Tables"), leniently: a header row with a pipe, then a delimiter row
(`|---|:--:|`, or `--- | ---` without outer pipes), then body rows up to the first line with no
pipe or one that opens a fence or an ATX heading. Two departures, both on purpose: the
header and delimiter rows need not have the same number of cells (wiki exports get that
wrong, and their tables are still worth reading), and a pipe inside an inline code span does
not split a cell (GFM splits it; to the author `grep a|b` in a cell is one cell). `\\|` is a
pipe inside a cell.

Inline code spans (CommonMark "Code spans"): a run of backticks opens a span that the next run
of the same length closes; a run with no partner is literal text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_OPENING = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_CLOSING = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_BACKTICK_RUN = re.compile(r"`+")
_ATX_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")


# ---- fenced code -------------------------------------------------------------------------


def fence_opening(line: str) -> str | None:
    """The fence run (```` ``` ````, `~~~~`, ...) when `line` opens a fenced code block, else None."""
    m = _OPENING.match(line)
    if m is None:
        return None
    run = m.group(1)
    if run[0] == "`" and "`" in m.group(2):
        return None
    return run


def closes_fence(line: str, fence: str) -> bool:
    """Whether `line` closes the block that the run `fence` opened."""
    m = _CLOSING.fullmatch(line)
    return m is not None and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)


@dataclass(frozen=True, slots=True)
class CodeBlock:
    start: int  # index of the opening fence line
    end: int  # index after the closing fence line (len(lines) when unclosed)
    fence: str  # the opening run, e.g. "```" or "~~~~"
    closed: bool
    column: int = 0  # the column its fences count from: 0, or the content column of its list item


def code_blocks(lines: Sequence[str]) -> list[CodeBlock]:
    """Every fenced code block in `lines`, in order.

    Indentation counts from the content column of the list item a line sits in, so a fence
    under a nested bullet is seen. A list item ends at the first non-blank line indented less
    than its content, unless that line lazily continues the item's paragraph."""
    joined = "\n".join(lines)
    if "```" not in joined and "~~~" not in joined:
        return []  # most documents: no fence, nothing to track
    out: list[CodeBlock] = []
    items: list[int] = []  # content columns of the open list items, innermost last
    fence: str | None = None
    fence_column = start = 0
    paragraph = False  # the last line was paragraph text, which a lazy line may continue
    empty_item = False  # the last line was a list marker with nothing after it
    for i, raw in enumerate(lines):
        line = raw.expandtabs(4) if "\t" in raw else raw  # tab stops of 4, as CommonMark counts
        text = line.lstrip(" ")
        if not text:
            if empty_item and fence is None:
                items.pop()  # an item may start with at most one blank line: this one stays empty
            paragraph = empty_item = False
            continue
        empty_item = False
        indent = len(line) - len(text)
        if fence is not None:
            if indent >= fence_column:
                if text[0] == fence[0] and indent - fence_column <= 3 and closes_fence(text, fence):
                    out.append(CodeBlock(start, i + 1, fence, True, fence_column))
                    fence = None
                continue
            # Less indented than the list item that holds the block: the item ends, and the block with it.
            out.append(CodeBlock(start, i, fence, False, fence_column))
            fence = None
        if items and indent < items[-1]:
            outer = next((c for c in reversed(items) if c <= indent), 0)
            if paragraph and (indent - outer > 3 or not _opens_block(text, strict=False)):
                continue  # a lazy continuation line: it stays in the item's paragraph
            while items and indent < items[-1]:
                items.pop()
            paragraph = False  # it was the closed item's paragraph
        column = indent
        while column - (items[-1] if items else 0) <= 3:  # deeper is indented code or continuation
            run = fence_opening(text)
            if run is not None:
                fence, fence_column, start = run, items[-1] if items else 0, i
                paragraph = False
                break
            if _HEADING_OR_BREAK.match(text) or (paragraph and _SETEXT_UNDERLINE.match(text)):
                paragraph = False
                break
            marker = _LIST_MARKER.match(text)
            if marker is None or (paragraph and not _opens_block(text, strict=True)):
                paragraph = True
                break
            content = text[marker.end() :].lstrip(" ")
            spaces = len(text) - marker.end() - len(content)
            if not content or spaces > 4:  # an empty item, or one that opens with indented code
                items.append(column + marker.end() + 1)
                paragraph = False
                empty_item = not content
                break
            column += marker.end() + spaces
            items.append(column)
            text = content
            paragraph = False
    if fence is not None:
        out.append(CodeBlock(start, len(lines), fence, False, fence_column))
    return out


_LIST_MARKER = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?= |$)")
_HEADING_OR_BREAK = re.compile(r"#{1,6}(?: |$)|(?:(?:- *){3,}|(?:\* *){3,}|(?:_ *){3,})$")
_SETEXT_UNDERLINE = re.compile(r"(?:=+|-+) *$")


def _opens_block(text: str, *, strict: bool) -> bool:
    """Whether `text` (its indentation removed) opens a block right after paragraph text,
    rather than continuing it: a fence, a heading, a thematic break or a list item. Inside
    the paragraph's own container (`strict`) a list item must have text and, when numbered,
    start at 1 (CommonMark's rule against lists made of a wrapped number)."""
    if fence_opening(text) is not None or _HEADING_OR_BREAK.match(text):
        return True
    m = _LIST_MARKER.match(text)
    if m is None:
        return False
    if not strict:
        return True
    return bool(text[m.end() :].strip()) and (not text[0].isdigit() or text[: m.end() - 1].lstrip("0") == "1")


def code_lines(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it belongs to a fenced code block (its fence lines included)."""
    mask = [False] * len(lines)
    for block in code_blocks(lines):
        mask[block.start : block.end] = [True] * (block.end - block.start)
    return mask


# ---- inline code -------------------------------------------------------------------------


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every inline code span in `text`, its backtick runs included."""
    runs = [(m.start(), m.end()) for m in _BACKTICK_RUN.finditer(text)] if "`" in text else []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        start, end = runs[i]
        # Pairing runs instead of a backreference regex keeps this linear: runs of distinct
        # lengths number at most ~sqrt(2 * len(text)), and a line of 20,000 backticks took the
        # regex minutes.
        close = next((k for k in range(i + 1, len(runs)) if runs[k][1] - runs[k][0] == end - start), None)
        if close is None:
            i += 1
            continue
        spans.append((start, runs[close][1]))
        i = close + 1
    return spans


# ---- tables ------------------------------------------------------------------------------


def table_cells(line: str) -> list[str] | None:
    """Cells of a table row, stripped, or None for a line with no pipe. A pipe splits cells
    unless a backslash escapes it (`\\|` reads as `|`) or it sits inside inline code."""
    s = line.strip()
    if "|" not in s:
        return None
    # Pipes that split nothing become NUL while splitting (as CommonMark turns NUL into U+FFFD,
    # Markdown never holds one) and pipes again in the cells.
    if "\\|" in s:
        s = s.replace("\\|", "\x00")
    if "`" in s:
        s = _hide_code_pipes(s)
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip().replace("\x00", "|") for c in s.split("|")]


def _hide_code_pipes(s: str) -> str:
    pieces: list[str] = []
    pos = 0
    for start, end in code_spans(s):
        pieces.append(s[pos:start])
        pieces.append(s[start:end].replace("|", "\x00"))
        pos = end
    pieces.append(s[pos:])
    return "".join(pieces)


def is_delimiter_row(line: str) -> bool:
    """`|---|:--:|` or `--- | ---`: the row under a table's header."""
    return "|" in line and "-" in line and _DELIMITER_ROW.match(line) is not None


def is_table_row(line: str) -> bool:
    """A row inside a table already started: a line with a pipe that opens no other block
    (a fence or an ATX heading, which end the table)."""
    if "|" not in line:
        return False
    first = line.lstrip(" ")[:1]
    if first in "`~#" and first:
        return not (fence_opening(line) or _ATX_HEADING.match(line))
    return True


def table_starts(lines: Sequence[str], i: int, end: int | None = None) -> bool:
    """Whether a pipe table starts at lines[i] (a header row with a pipe, then a delimiter
    row), looking no further than `end`."""
    end = len(lines) if end is None else end
    return i + 1 < end and "|" in lines[i] and is_delimiter_row(lines[i + 1])


@dataclass(frozen=True, slots=True)
class Table:
    start: int  # index of the header row
    end: int  # index after the last body row
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line index, cells) of each body row


def read_table(lines: Sequence[str], i: int, end: int | None = None) -> Table | None:
    """The table whose header row is lines[i], or None when no table starts there. The caller
    skips fenced lines (see `code_lines`): a table inside a code block is code."""
    if "|" not in lines[i]:
        return None  # most lines, before any further call
    end = len(lines) if end is None else end
    if not table_starts(lines, i, end):
        return None
    rows: list[tuple[int, list[str]]] = []
    j = i + 2
    while j < end and is_table_row(lines[j]):
        rows.append((j, table_cells(lines[j]) or []))
        j += 1
    return Table(i, j, table_cells(lines[i]) or [], rows)
