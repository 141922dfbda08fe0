"""Hostile postmortem HTML in a real browser: it must show as text, never run or inject markup.

A postmortem full of XSS payloads goes through the real pipeline (parse, lint, analysis, load)
beside a generated corpus; then headless Chromium opens every dashboard page that can show it,
and the standalone HTML export. Every payload would set `window.__pwned` or open a dialog if it
ran. The export is also checked with a payload spliced in *unescaped*, to prove its
Content-Security-Policy alone would stop a script if an escape were ever missed.

Reuses the server and browser helpers of tests/dashboard/test_browser.py (same Chromium flags);
skips (saying why) when no Chromium is installed on a user machine, fails in CI.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.build.run import build
from tests.dashboard.test_browser import ARTIFACTS, assert_no_errors, browser_page, serve, wait_rendered

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE_ID = "XSS-0001"
PAYLOADS = [
    "<script>window.__pwned='script';alert('script')</script>",
    '<img src=x onerror="window.__pwned=\'img\';alert(\'img\')">',
    "[click me](javascript:window.__pwned='mdlink';alert('mdlink'))",
    "<a href=\"javascript:window.__pwned='a';alert('a')\">raw link</a>",
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<svg onload=\"window.__pwned='svg';alert('svg')\"></svg>",
    "<details open ontoggle=\"window.__pwned='details';alert('details')\">x</details>",
    "![pic](javascript:alert('mdimg'))",
    "<style>body{display:none !important}</style>",
    "<form action=\"https://evil.example\"><input name=q></form>",
]
ALL = " ".join(PAYLOADS)
HOSTILE_MD = f"""---
id: {HOSTILE_ID}
title: "Cache outage <script>window.__pwned='title';alert('title')</script> <img src=x onerror=alert('t2')>"
date: 2026-08-12
severity: SEV1
services: [checkout-api]
team: payments
started_at: 2026-08-12T10:00:00Z
detected_at: 2026-08-12T10:07:00Z
resolved_at: 2026-08-12T16:30:00Z
---
# Cache outage

## Summary
The cache cluster failed. {ALL}

## Timeline
- 10:00 UTC cache nodes evicted everything {PAYLOADS[0]}
- 10:07 UTC alert fired {PAYLOADS[1]}
- 16:30 UTC recovered {PAYLOADS[2]}

## Root cause
- The eviction policy was changed without review {PAYLOADS[3]}
- Connection pool exhausted under load {PAYLOADS[5]}

## Action items
| Action | Owner | Due | Status |
|---|---|---|---|
| Review eviction changes {PAYLOADS[1]} | <img src=x onerror=alert('owner')> | 2026-09-01 | open |
| Add pool saturation alert {PAYLOADS[6]} | @kim | 2026-09-15 | done |

## Lessons learned
{ALL}
"""
INJECTED = (
    "img[src='x'], iframe, svg[onload], [onerror], [onload], [ontoggle], a[href^='javascript'], "
    "details[ontoggle], form[action^='https://evil']"
)


@pytest.fixture(scope="module")
def hostile_db(generated_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("xss")
    corpus = root / "corpus"
    shutil.copytree(generated_corpus / "postmortems", corpus)
    (corpus / "zz-hostile.md").write_text(HOSTILE_MD, encoding="utf-8")
    db = root / "hostile.duckdb"
    build([corpus], db, jobs=2)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM incidents WHERE incident_id = ?", [HOSTILE_ID]).fetchone()[0] == 1
    return db


def _assert_inert(page, where: str) -> None:
    assert page.evaluate("window.__pwned === undefined"), f"{where}: a payload ran"
    found = page.evaluate(f"Array.from(document.querySelectorAll(\"{INJECTED}\")).map(e => e.outerHTML.slice(0, 120))")
    assert found == [], f"{where}: injected elements {found}"
    scripts = page.evaluate("Array.from(document.scripts).filter(s => s.textContent.includes('__pwned')).length")
    assert scripts == 0, f"{where}: injected script element"
    assert page.evaluate("getComputedStyle(document.body).display") != "none", f"{where}: injected style applied"


def test_dashboard_pages_keep_hostile_postmortem_inert(hostile_db: Path) -> None:
    # The pages that print postmortem text: the incident itself, the review's notable incidents,
    # action items with owners; the search box below. (test_browser.py loads every page.)
    visits = [
        (f"incident?incident={HOSTILE_ID}", "Cache outage", False),
        ("review?quarter=2026Q3", "Quarterly review", True),
        ("action_items", "Action-item follow-through", True),
    ]
    with browser_page() as page, serve(hostile_db) as base:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path, title, chart in visits:
            page.goto(f"{base}/{path}")
            try:
                wait_rendered(page, title, chart)
            except Exception:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "security-failed.png"), full_page=True)
                raise AssertionError(f"{path} did not render {title!r}") from None
            assert_no_errors(page, path)
            _assert_inert(page, path)
        # the payloads are shown as text on the incident page
        page.goto(f"{base}/incident?incident={HOSTILE_ID}")
        wait_rendered(page, "Cache outage", False)
        assert page.get_by_text("<script>", exact=False).count() >= 1
        # and the related search over them
        page.goto(f"{base}/related")
        wait_rendered(page, "Find related incidents", False)
        box = page.get_by_label("Describe what you're seeing")
        box.fill("cache eviction outage <script>alert('search')</script> <img src=x onerror=alert('q')>")
        box.press("Control+Enter")
        page.wait_for_selector('[data-testid="stDataFrame"], [data-testid="stAlertContentInfo"]', timeout=60000)
        page.wait_for_timeout(500)
        _assert_inert(page, "related search")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "security-related-search.png"), full_page=True)
        assert dialogs == []


def _open_file(page, path: Path) -> None:
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)


def test_html_export_is_inert_and_its_csp_blocks_a_missed_escape(hostile_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    assert cli.main(["report", "--quarter", "2026Q3", "--db", str(hostile_db), "--format", "html", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Cache outage &lt;script&gt;" in text  # the SEV1 is a notable incident, escaped

    # A copy with payloads spliced in raw, as if the renderer had forgotten to escape.
    broken = tmp_path / "broken.html"
    broken.write_text(
        text.replace("<body>", "<body>\n<script>window.__pwned='inline'</script>"
                                "<img src=x onerror=\"window.__pwned='handler'\">"
                                "<img id=remote src='https://example.invalid/x.png'>", 1),
        encoding="utf-8",
    )
    with browser_page() as page:
        dialogs: list[str] = []
        violations: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

        _open_file(page, out)
        _assert_inert(page, "export")
        assert page.evaluate("document.scripts.length") == 0
        assert page.get_by_text("<script>", exact=False).count() >= 1
        assert page.locator("figure svg").count() >= 3  # charts inline, offline
        assert page.evaluate("getComputedStyle(document.body).maxWidth") == "980px"  # own CSS allowed by hash
        assert violations == [], violations  # the clean export trips nothing
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "security-export.png"), full_page=True)

        _open_file(page, broken)
        assert page.evaluate("window.__pwned === undefined"), "CSP let an inline script or handler run"
        assert page.evaluate("document.getElementById('remote').naturalWidth") == 0  # no remote fetch
        assert any("Content Security Policy" in v for v in violations)
        assert dialogs == []
