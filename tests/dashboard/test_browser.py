"""Real-browser smoke test: the dashboard served by `streamlit run`, every page loaded in headless Chromium.

Asserts each page renders its title, at least one Vega chart where the page has charts, and no
exception or error box; saves a full-page screenshot per page under tests/artifacts/ (git-ignored)
for a human to look at. Also checks that hostile postmortem HTML does not execute.
Skips, saying why, when no Chromium or Playwright is installed on a user's machine; in CI
(HINDSIGHT_STRICT_TESTS=1, set by .ci/run) that is a failure. `make test` installs Debian's Chromium.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# url_path, title shown on the page, whether the page draws at least one chart
PAGES = [
    ("trends", "Trends", True),  # first: a fresh server's first request straight to a page URL
    ("", "Reliability overview", True),  # the default page lives at the root URL
    ("themes", "Failure modes and recurring patterns", True),
    ("repeats", "Repeat incidents", True),
    ("action_items", "Action-item follow-through", True),
    ("data_quality", "Data quality", True),
    ("related", "Find related incidents", False),
    ("review", "Quarterly review", True),
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(db: Path, timeout: float = 40, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run the dashboard on a free localhost port (with extra environment `env`); yield its base URL."""
    port = free_port()
    env = dict(os.environ, HINDSIGHT_DB=str(db), **(env or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise RuntimeError(f"streamlit did not start:\n{out[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def browser_page(width: int = 1440, height: int = 2600) -> Iterator[object]:
    exe = chromium_path()
    require(exe, "no chromium binary on PATH (make test installs Debian's chromium when run as root)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
    require(sync_api, "the playwright package is not installed (make test installs the test extras)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def wait_rendered(page, title: str, want_chart: bool, timeout_ms: int = 60000) -> None:
    page.wait_for_selector(f'h1:has-text("{title}")', timeout=timeout_ms)
    if want_chart:
        page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=timeout_ms)
    # let the script run finish (the status widget shows "Running..." meanwhile)
    with contextlib.suppress(Exception):
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=5000)
    page.wait_for_timeout(400)


def assert_no_errors(page, name: str) -> None:
    assert page.get_by_text("Page not found").count() == 0, f"{name}: page not found"
    exceptions = page.locator('[data-testid="stException"]').count()
    errors = page.locator('[data-testid="stAlertContentError"]').count()
    assert exceptions == 0 and errors == 0, f"{name}: {exceptions} exceptions, {errors} error boxes"


def shoot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_every_page_renders_in_a_real_browser(built_db: Path) -> None:
    with duckdb.connect(str(built_db), read_only=True) as con:
        incident_id = con.execute(
            "SELECT incident_id FROM incidents WHERE NOT restricted AND incident_id IN (SELECT incident_id FROM timeline_events"
            " WHERE \"at\" IS NOT NULL) ORDER BY incident_date DESC LIMIT 1"
        ).fetchone()[0]
        title = con.execute("SELECT title FROM incidents WHERE incident_id = ?", [incident_id]).fetchone()[0]
    with browser_page() as page, serve(built_db) as base:
        for url_path, page_title, has_chart in PAGES:
            page.goto(f"{base}/{url_path}")
            wait_rendered(page, page_title, has_chart)
            assert_no_errors(page, url_path)
            if has_chart:
                assert page.locator(".vega-embed canvas, .vega-embed svg").count() >= 1, url_path
            shoot(page, url_path or "overview")

        # the incident page, reached by URL, with its timeline chart
        page.goto(f"{base}/incident?incident={incident_id}")
        wait_rendered(page, title.split("<")[0][:30].strip() or "Incident", True)
        assert_no_errors(page, "incident")
        shoot(page, "incident")

        # a search on the related page returns linked results
        page.goto(f"{base}/related")
        wait_rendered(page, "Find related incidents", False)
        box = page.get_by_label("Describe what you're seeing")
        box.fill("database connection pool exhausted after a deploy")
        box.press("Control+Enter")
        page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60000)
        assert_no_errors(page, "related search")
        shoot(page, "related-search")

        # filters live in the URL: a shared link restores them, hostile values are ignored
        page.goto(f"{base}/?sev=SEV1&team=%27%3B%20DROP%20TABLE%20incidents%3B--&from=not-a-date")
        wait_rendered(page, "Reliability overview", True)
        assert_no_errors(page, "overview with URL filters")
        assert "sev=SEV1" in page.url
        assert "DROP" not in page.url
        shoot(page, "overview-sev1")
        # ...and follow the reader to another page and through a reload
        page.get_by_role("link", name="Trends").click()
        wait_rendered(page, "Trends", True)
        page.wait_for_timeout(1000)
        assert "/trends" in page.url and "sev=SEV1" in page.url
        page.reload()
        wait_rendered(page, "Trends", True)
        assert "sev=SEV1" in page.url
        assert_no_errors(page, "trends with URL filters")


def test_postmortem_html_does_not_execute(fixture_db: Path) -> None:
    """The fixture's INC-1 summary carries <img onerror> and a javascript: link; INC-3's title a <script>."""
    with browser_page() as page, serve(fixture_db) as base:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for iid, title in (("INC-1", "Checkout API connection pool exhausted"), ("INC-3", "Search index lag")):
            page.goto(f"{base}/incident?incident={iid}")
            wait_rendered(page, title, iid == "INC-1")
            assert_no_errors(page, iid)
            assert page.evaluate("window.__pwned === undefined"), iid
            assert page.locator('img[src="x"]').count() == 0, iid
            assert page.locator('a[href^="javascript:"]').count() == 0, iid
            assert page.locator("script:has-text('alert(1)')").count() == 0, iid
        assert dialogs == []
        assert page.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1  # shown as text
        shoot(page, "incident-hostile")
