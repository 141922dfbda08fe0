"""Postmortem text made safe to hand to `st.markdown` (which is always called without unsafe HTML).

Postmortems are written by many people and imported from other tools, so their text is
untrusted: raw HTML tags are escaped to show as text, links and images with a scheme other
than http(s)/mailto (javascript:, data:, vbscript:...) lose their target, images become a text
placeholder (no remote fetches), and `$` is escaped so Streamlit does not read it as LaTeX.
Code spans and fenced code blocks are left alone: Streamlit renders them as literal text.
"""

from __future__ import annotations

import html
import re

from pipelines.parsing.blocks import code_blocks, code_spans

_ALLOWED_SCHEMES = {"http", "https", "mailto"}
_PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n)")
_LINK = re.compile(r"(!?)\[((?:[^\[\]\\]|\\.)*)\]\(([^)]*)\)")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(\S+).*$")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def is_safe_url(url: str) -> bool:
    """True for relative links and http(s)/mailto; false for javascript:, data:, obfuscated variants."""
    target = html.unescape(url.strip().strip("<>")).strip()
    target = _CONTROL.sub("", target).lower()
    m = _SCHEME.match(target)
    return m is None or m.group(1) in _ALLOWED_SCHEMES


def _link(m: re.Match[str]) -> str:
    bang, label, target = m.group(1), m.group(2), m.group(3)
    url = target.strip().split()[0] if target.strip() else ""
    if bang:
        return f"\\[image: {label or 'no description'}\\]"
    if not is_safe_url(url):
        return f"{label} (link removed)"
    return m.group(0)


def _plain(text: str) -> str:
    text = text.replace("<", "&lt;").replace("$", "\\$")
    # Postmortems rely on line breaks (timelines written one event per line); Markdown would
    # join them into one paragraph, so make every line end a hard break.
    text = re.sub(r"(?<=\S)[ \t]*\n(?=[^\n])", "  \n", text)
    return _LINK.sub(_link, text)


def _inline(text: str) -> str:
    out: list[str] = []
    # A code span never crosses a blank line: pairing backticks across paragraphs would leave
    # the prose between them (and its links) untouched while the renderer shows it as prose.
    for part in _PARAGRAPH_BREAK.split(text):
        pos = 0
        for start, end in code_spans(part):
            out.append(_plain(part[pos:start]))
            out.append(part[start:end])
            pos = end
        out.append(_plain(part[pos:]))
    return "".join(out)


def safe_markdown(text: str | None) -> str:
    """Markdown with HTML, dangerous links, images and LaTeX neutralised (code left verbatim)."""
    if not text:
        return ""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    pos = 0
    # The parsers' fence scanner, so what we leave verbatim is what a CommonMark renderer
    # shows as code: a line taken for code that renders as prose would keep its links.
    for block in code_blocks(lines):
        out.extend(_prose(lines[pos : block.start]))
        out.extend(lines[block.start : block.end])
        if block.end == len(lines) and not block.closed:  # it would swallow whatever we render next
            out.append(" " * block.column + block.fence)
        pos = block.end
    out.extend(_prose(lines[pos:]))
    return "\n".join(out)


def _prose(lines: list[str]) -> list[str]:
    if not lines:
        return []
    kept = ["(link removed)" if (ref := _REF_DEF.match(line)) and not is_safe_url(ref.group(1)) else line for line in lines]
    return [_inline("\n".join(kept))]


def safe_inline(text: str | None) -> str:
    """One line of untrusted text (a title, a heading) for st.markdown/st.title: no newlines either."""
    return safe_markdown(" ".join(str(text or "").split()))
