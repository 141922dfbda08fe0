from __future__ import annotations

import html
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.report.render import content_security_policy, make_report, md_escape, render_html, render_markdown
from pipelines.report.review import Quarter, build_review
from tests.pipelines.review_db import AS_OF, SECRET_THEME, SECRET_TITLE, make_review_db

HOSTILE_TITLE = "<script>alert('t')</script><img src=x onerror=alert(1)> [click](javascript:alert(2)) | x"
HOSTILE_LABEL = '<svg onload=alert(3)>"quoted" & <b>bold</b>'


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return make_review_db(tmp_path_factory.mktemp("report") / "r.duckdb")


@pytest.fixture(scope="module")
def hostile_db(db, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "h.duckdb"
    shutil.copy(db, path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE incidents SET title = ? WHERE incident_id = 'A1'", [HOSTILE_TITLE])
    con.execute("UPDATE themes SET label = ? WHERE theme_id = 1", [HOSTILE_LABEL])
    con.execute("UPDATE incidents SET title = ? WHERE incident_id = 'A2'", ["Replica lag on 10.20.30.40 seen by Carol and alice@example.com"])
    con.execute("UPDATE themes SET label = ? WHERE theme_id = 2", ["config drift on cache-03.corp.example.net found by Alice Chen"])
    con.close()
    return path


def _report(path: Path, fmt: str, **kw) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return make_report(con, Quarter(2026, 3), fmt, as_of=AS_OF, **kw)
    finally:
        con.close()


@pytest.fixture(scope="module")
def markdown(db) -> str:
    return _report(db, "md")


@pytest.fixture(scope="module")
def page(db) -> str:
    return _report(db, "html")


def test_markdown_has_the_hand_computed_figures(markdown):
    assert markdown.startswith("# Quarterly reliability review: 2026Q3\n")
    # 5 incidents against 2: too few to compare, so no Change column (from 2 to 5 is noise)
    assert "| Incidents | 5 | 2 |\n" in markdown and "| SEV1 | 1 | 0 |\n" in markdown
    assert "Change" not in markdown
    assert "Too few incidents to compare (5 and 2; a comparison needs at least 5 in each quarter)." in markdown
    assert "| Time to resolve | 1.5 h | 7.6 h | 4 | 2.8 h | 3.8 h | 2 |" in markdown
    assert "| Completion | 20% | 67% |" in markdown
    assert "| Overdue | 2 | 1 |" in markdown
    assert "| Retry storm or cascading failure | api | 2 | 58 |" in markdown
    assert "- config drift: 1 incident(s)" in markdown
    assert "| longest to resolve | 2026-08-20 | SEV3 | restricted incident | – | 10.0 h |" in markdown


def test_restricted_content_never_in_either_format(markdown, page):
    for text in (markdown, page):
        assert SECRET_TITLE not in text and html.escape(SECRET_TITLE) not in text
        assert SECRET_THEME not in text
        assert "restricted incident" in text


def test_html_is_standalone_with_inline_svg_charts(page):
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") >= 3  # severity, durations, themes
    # Nothing is fetched: no script tags, no external src/href.
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "cdn" not in page.lower()


def test_html_has_restrictive_csp_meta(page):
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert m, "CSP meta tag missing"
    policy = html.unescape(m.group(1))
    assert policy == content_security_policy()
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'none'"
    assert directives["style-src"].startswith("'sha256-")  # only our own stylesheet, by hash
    assert "unsafe" not in policy


def test_hostile_text_is_escaped_in_html(hostile_db):
    page = _report(hostile_db, "html")
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "<svg onload" not in page.lower() and "<b>bold" not in page
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert html.escape(HOSTILE_TITLE, quote=True) in page or html.escape(HOSTILE_TITLE, quote=False) in page
    assert "&lt;svg onload=alert(3)&gt;" in page


def test_hostile_text_is_inert_in_markdown(hostile_db):
    md = _report(hostile_db, "md")
    assert "<script" not in md and "<img" not in md and "<svg" not in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # "[" and "]" are escaped, so no link
    row = next(line for line in md.splitlines() if line.startswith("| SEV1 | 2026-07-05"))
    assert row.count(" | ") == 5  # the "|" in the title did not add a column


def test_md_escape():
    assert md_escape("a *b* _c_ `d` [e](f) <g> & h|i") == r"a \*b\* \_c\_ \`d\` \[e\](f) &lt;g&gt; &amp; h\|i"
    assert md_escape("# not a heading", line_start=True) == r"\# not a heading"
    assert md_escape("two\nlines") == "two lines"


def test_redact_replaces_emails_ips_owners_and_hosts(hostile_db):
    for fmt in ("md", "html"):
        text = _report(hostile_db, fmt, redact=True)
        for secret in ("alice@example.com", "10.20.30.40", "Carol", "Alice Chen", "cache-03.corp.example.net"):
            assert secret not in text, (fmt, secret)
        for placeholder in ("[email]", "[ip]", "[person]", "[host]"):
            shown = md_escape(placeholder) if fmt == "md" else placeholder
            assert shown in text, (fmt, placeholder)
    plain = _report(hostile_db, "md")
    assert "alice@example.com" in plain and "10.20.30.40" in plain  # without --redact nothing is hidden


def test_changes_are_shown_only_between_comparable_quarters(db):
    con = duckdb.connect(str(db), read_only=True)
    review = build_review(con, Quarter(2026, 3), as_of=AS_OF)
    con.close()
    enough = replace(review, current=replace(review.current, incidents=12), previous=replace(review.previous, incidents=8))
    assert enough.comparable and enough.why_not_compared() is None
    text = render_markdown(enough)
    assert "|   | 2026Q3 | 2026Q2 | Change |" in text
    assert "| Incidents | 12 | 8 | +4 (+50%) |" in text and "| SEV1 | 1 | 0 | +1 |" in text
    # The same figures while the quarter is still running: partial, never compared.
    running = replace(enough, as_of=date(2026, 9, 15))
    assert not running.comparable
    assert "2026Q3 runs until 2026-09-30, so its figures are partial and are not compared with 2026Q2." in render_markdown(running)


def test_render_functions_take_a_review(db):
    con = duckdb.connect(str(db), read_only=True)
    review = build_review(con, Quarter(2026, 3), as_of=AS_OF)
    con.close()
    assert "5" in render_markdown(review)
    assert "<figure" not in render_html(review, svgs={})  # charts optional


# ---- CLI ---------------------------------------------------------------------------------------


def test_cli_writes_markdown_to_stdout(db, capsys):
    assert cli.main(["report", "--quarter", "2026Q3", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Quarterly reliability review: 2026Q3") and "| Incidents | 5 | 2 |" in out


def test_cli_writes_html_file(db, tmp_path, capsys):
    target = tmp_path / "out" / "review.html"
    assert cli.main(["report", "--quarter", "2026Q3", "--db", str(db), "--format", "html", "-o", str(target), "--redact"]) == 0
    text = target.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in text and "<svg" in text
    assert "wrote the 2026Q3 review" in capsys.readouterr().err
    assert not list(target.parent.glob(".*tmp*"))  # no temporary file left behind


def test_cli_reads_db_from_env(db, monkeypatch, capsys):
    monkeypatch.setenv("HINDSIGHT_DB", str(db))
    assert cli.main(["report", "--quarter", "2026Q2"]) == 0
    assert "# Quarterly reliability review: 2026Q2" in capsys.readouterr().out


@pytest.mark.parametrize("today, expected", [("2026-10-15", "2026Q3"), ("2026-08-01", "2026Q2"), ("2026-01-05", "2026Q3")])
def test_cli_without_quarter_reviews_the_last_complete_quarter(db, monkeypatch, capsys, today, expected):
    """Like the dashboard's review page: the last complete quarter with incidents (the latest when none is complete)."""
    monkeypatch.setenv("HINDSIGHT_TODAY", today)
    assert cli.main(["report", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith(f"# Quarterly reliability review: {expected}")


@pytest.mark.parametrize("quarter", ["2026Q5", "Q3-2026", "2026", "';DROP TABLE incidents;--"])
def test_cli_bad_quarter_is_a_clear_error(db, quarter, capsys):
    assert cli.main(["report", "--quarter", quarter, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "YYYYQn" in err and "2026Q3" in err and "Traceback" not in err


def test_cli_quarter_outside_data(db, capsys):
    assert cli.main(["report", "--quarter", "2030Q1", "--db", str(db)]) == 1
    assert "covers 2026Q1 to 2026Q3" in capsys.readouterr().err


def test_cli_missing_db(tmp_path, capsys):
    assert cli.main(["report", "--quarter", "2026Q3", "--db", str(tmp_path / "nope.duckdb")]) == 2
    assert "no database at" in capsys.readouterr().err


def test_cli_not_a_database(tmp_path, capsys):
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("hello, not a database")
    assert cli.main(["report", "--quarter", "2026Q3", "--db", str(bogus)]) == 2
    assert "is not a DuckDB database file" in capsys.readouterr().err


def test_cli_unwritable_output(db, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["report", "--quarter", "2026Q3", "--db", str(db), "-o", str(blocker / "r.md")]) == 1
    assert "cannot write" in capsys.readouterr().err
