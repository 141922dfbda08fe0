"""The dashboard in Chromium on a corpus shaped like a real one (tests/fixtures/awkward, see its README):
a 1628 incident, a sparse decade, a dense 2023-2025, an undated write-up, no action items, no
severities, prose without headings. Plus a database file that is not one Hindsight can read.

Every page at 1400 px: no error box; every time axis within the dense period, not stretched
from 1628; no success message about data that is not there. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.dashboard.test_browser import assert_no_errors, browser_page, serve, shoot, wait_rendered

AWKWARD = Path(__file__).resolve().parents[1] / "fixtures" / "awkward" / "corpus"
TODAY = "2026-11-15"
DENSE = (2023, 2025)  # the README: 2023-02-14 to 2025-10-07, 8 incidents
PAGES = [  # url path, title, charts expected
    ("", "Reliability overview", True),
    ("trends", "Trends", True),
    ("themes", "Failure modes and recurring patterns", True),
    ("repeats", "Repeat incidents", False),
    ("action_items", "Action-item follow-through", False),
    ("data_quality", "Data quality", True),
    ("related", "Find related incidents", False),
    ("review", "Quarterly review", True),
]
_TIME_AXIS = re.compile(r"X-axis titled '[^']*' for a (?:utc|time) scale with values from (\d{4}Q\d|\d{4}|\w+ \d{4}) to (\d{4}Q\d|\d{4}|\w+ \d{4})")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def awkward_db(tmp_path_factory) -> Path:
    from pipelines.build.run import build

    db = tmp_path_factory.mktemp("awkward") / "hindsight.duckdb"
    build([AWKWARD], db, jobs=1)
    return db


def time_axis_years(page) -> list[tuple[int, int]]:
    """(first, last) year of every time axis drawn, read from Vega's ARIA descriptions of its SVG."""
    labels = page.evaluate(
        "Array.from(document.querySelectorAll('.vega-embed svg g[aria-label]')).map(g => g.getAttribute('aria-label'))")
    spans = []
    for label in labels:
        m = _TIME_AXIS.search(label or "")
        if m:
            spans.append(tuple(int(re.search(r"\d{4}", g).group(0)) for g in m.groups()))
    return spans


def test_every_page_on_a_real_shaped_corpus(awkward_db: Path) -> None:
    with browser_page(width=1400, height=2600) as page, serve(awkward_db, env={"HINDSIGHT_TODAY": TODAY}) as base:
        axes_seen = 0
        for url_path, title, has_chart in PAGES:
            page.goto(f"{base}/{url_path}")
            wait_rendered(page, title, has_chart)
            name = f"awkward-{url_path or 'overview'}"
            assert_no_errors(page, name)
            for first, last in time_axis_years(page):
                axes_seen += 1
                assert DENSE[0] <= first and last <= DENSE[1] + 1, f"{name}: a time axis from {first} to {last}"
            if url_path in ("", "action_items"):  # no action items: nothing to congratulate anyone on
                assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 0, name
            shoot(page, name)
        assert axes_seen >= 4  # per-month, per-quarter by team, time to resolve, theme heatmap ...

        # the sidebar says what the default range leaves out
        page.goto(f"{base}/")
        wait_rendered(page, "Reliability overview", True)
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("6 earlier incidents (1628–2012) and 1 undated incident are outside this range.").count() == 1
        assert page.get_by_text("This corpus has no action items").count() == 0  # said on the Action items page
        # ... and one click includes them: the 1628 incident is on the axis, and nothing breaks
        sidebar.get_by_role("button", name="Include all dates").click()
        page.wait_for_timeout(2500)
        wait_rendered(page, "Reliability overview", True)
        assert_no_errors(page, "all dates")
        assert "from=1628-08-10" in page.url
        assert min(first for first, _ in time_axis_years(page)) <= 1628
        shoot(page, "awkward-all-dates")
        page.get_by_role("link", name="Trends").click()
        wait_rendered(page, "Trends", True)
        page.wait_for_timeout(1000)
        assert_no_errors(page, "trends, all dates")
        assert min(first for first, _ in time_axis_years(page)) <= 1628

        # the action items page explains the empty corpus instead of reporting success
        page.goto(f"{base}/action_items")
        wait_rendered(page, "Action-item follow-through", False)
        assert page.get_by_text("This corpus has no action items").count() == 1

        # a quarter four centuries back can be reviewed
        page.goto(f"{base}/review?quarter=1628Q3")
        wait_rendered(page, "Quarterly review", False)
        assert_no_errors(page, "review 1628Q3")
        assert page.get_by_text("1628Q3").count() >= 1


@pytest.mark.parametrize("kind", ["not-duckdb", "not-hindsight"])
def test_a_database_hindsight_cannot_read_is_named_without_a_traceback(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "other.duckdb"
    if kind == "not-duckdb":
        db.write_text("id,title\n1,this is a CSV file, not a database\n")
    else:
        with duckdb.connect(str(db)) as con:
            con.execute("CREATE TABLE invoices (id INTEGER, amount DECIMAL(10, 2))")
    with browser_page(width=1400, height=1200) as page, serve(db) as base:
        page.goto(f"{base}/")
        page.wait_for_selector('h1:has-text("This is not a database Hindsight can read")', timeout=60000)
        page.wait_for_timeout(500)
        assert page.locator('[data-testid="stException"]').count() == 0  # no traceback
        message = page.locator('[data-testid="stAlertContentError"]').inner_text()
        assert str(db) in message or db.name in message, message
        assert "hindsight build" in message, message
        assert "Traceback" not in page.content() and "_duckdb." not in page.content()
        shoot(page, f"wrong-database-{kind}")
