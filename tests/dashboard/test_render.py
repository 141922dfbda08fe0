"""Untrusted postmortem text made safe for st.markdown."""

from __future__ import annotations

import time

import pytest

from dashboard.render import is_safe_url, safe_inline, safe_markdown


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)", "&#106;avascript:alert(1)",
     "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox", "<javascript:alert(1)>"],
)
def test_dangerous_urls(url):
    assert not is_safe_url(url)


@pytest.mark.parametrize("url", ["https://example.com/x", "http://a", "mailto:a@b.c", "incident?incident=INC-1", "#top", "/runbooks/db"])
def test_safe_urls(url):
    assert is_safe_url(url)


def test_html_is_escaped_and_links_neutralised():
    out = safe_markdown('Hi <script>alert(1)</script> <img src=x onerror="x()"> [click](javascript:alert(1)) [ok](https://example.com)')
    assert "<script" not in out and "<img" not in out
    assert "&lt;script>" in out
    assert "javascript:" not in out and "click (link removed)" in out
    assert "[ok](https://example.com)" in out


def test_images_become_text_and_reference_links_are_checked():
    out = safe_markdown("![diagram](https://tracker.example/pixel.png)\n\n[x][1]\n\n[1]: javascript:alert(1)")
    assert "](https://tracker" not in out and "image: diagram" in out
    assert "javascript:" not in out


def test_dollars_are_not_latex_and_code_is_left_alone():
    out = safe_markdown("Cost $5 and $6.\n\n```\nif a < b: print('<b>')\n```\nand `x < y`")
    assert "\\$5" in out and "\\$6" in out
    assert "if a < b: print('<b>')" in out and "`x < y`" in out


def test_unclosed_fence_is_closed():
    assert safe_markdown("```\nunclosed").rstrip().endswith("```")


def test_inline_collapses_newlines():
    assert safe_inline("# title\n<b>x</b>") == "# title &lt;b>x&lt;/b>"
    assert safe_markdown(None) == ""


def test_unclosed_fence_in_a_list_item_is_closed_inside_the_item():
    # A fence at the margin would end the item and open a new block that swallows what follows.
    assert safe_markdown("- step\n  ```\n  unclosed").split("\n")[-1] == "  ```"


@pytest.mark.parametrize(
    "text",
    [
        "```a```\n[click](javascript:alert(1))",  # inline code, not a fence: the link is prose
        "``[click](javascript:alert(1))`",  # runs of different lengths pair with nothing
        "`start\n\n[click](javascript:alert(1))\n\nend`",  # no code span across a blank line
    ],
)
def test_what_renders_as_prose_is_neutralised(text):
    assert "javascript:" not in safe_markdown(text)


def test_backtick_flood_renders_fast():
    start = time.perf_counter()
    safe_markdown("`" * 20_000 + " x " + "``" * 3_000)
    assert time.perf_counter() - start < 1.0
