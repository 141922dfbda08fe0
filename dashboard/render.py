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

_ALLOWED_SCHEMES = {"http", "https", "mailto"}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
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
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_plain(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


def safe_markdown(text: str | None) -> str:
    """Markdown with HTML, dangerous links, images and LaTeX neutralised (code left verbatim)."""
    if not text:
        return ""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if prose:
            out.append(_inline("\n".join(prose)))
            prose.clear()

    for line in lines:
        m = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            flush()
            fence = m.group(1)
            out.append(line)
            continue
        ref = _REF_DEF.match(line)
        if ref and not is_safe_url(ref.group(1)):
            prose.append("(link removed)")
            continue
        prose.append(line)
    flush()
    if fence is not None:  # an unclosed fence would swallow whatever we render next
        out.append(fence)
    return "\n".join(out)


def safe_inline(text: str | None) -> str:
    """One line of untrusted text (a title, a heading) for st.markdown/st.title: no newlines either."""
    return safe_markdown(" ".join(str(text or "").split()))
