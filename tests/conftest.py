"""Shared fixtures: a small hand-written corpus, and one database built from a generated corpus."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# CI sets this (.ci/run): a missing browser, Playwright, git checkout or ../shared is then a
# failure, not a skip. On a user's machine those may be missing, and the test skips saying why.
STRICT_ENV = "HINDSIGHT_STRICT_TESTS"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def require(condition: object, reason: str) -> None:
    """Skip (saying why) when something a user's machine may lack is missing; fail in CI."""
    if condition:
        return
    if os.environ.get(STRICT_ENV) == "1":
        pytest.fail(f"{reason}; {STRICT_ENV}=1 (CI) requires it", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skip of any kind is a failure: a test that cannot run there proves nothing."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get(STRICT_ENV) == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but {STRICT_ENV}=1 (CI) allows no skip: {report.longrepr}"

# Three Markdown postmortems in different template styles plus a two-record JSONL export.
SAMPLE_FILES = {
    "2024-03-05-db-failover.md": """---
id: INC-0101
title: Primary database failover stalled checkout
date: 2024-03-05
severity: SEV2
services: [checkout, orders-db]
team: payments
started_at: 2024-03-05T14:02:00Z
resolved_at: 2024-03-05T15:10:00Z
---
# Primary database failover stalled checkout

## Summary
Checkout requests timed out for 68 minutes after the primary database failed over.

## Impact
About 12% of checkout attempts failed.

## Root Causes
- The connection pool kept stale connections to the old primary.
- Failover health checks only probed the replica port.

## Timeline
- 14:02 UTC Error rate on checkout rises
- 14:09 UTC On-call paged
- 15:10 UTC Pool recycled, errors stop

## Action Items
| Action | Owner | Due | Status |
|---|---|---|---|
| Recycle pool on failover events | @dana | 2024-04-01 | done |
| Probe the primary port in health checks | @li | 2024-04-15 | open |
""",
    "teams/search/2024-06-11-index-rollout.md": """---
id: INC-0102
title: Search index rollout returned empty results
severity: P1
service: search
team: discovery
---
## Overview
A new index format was rolled out to all regions at once and queries returned no results.

## Contributing Factors
- The rollout skipped the canary stage.
- No alert covered an empty-result rate.

## Action Items
- [x] Add an empty-result rate alert @sam
- [ ] Enforce canary stage for index rollouts (due 2024-07-30)
""",
    "notes-cert-expiry.md": """# TLS certificate expired on the edge proxy

Date: 2024-09-20
Severity: minor
Service: edge-proxy

The certificate for the public edge proxy expired because renewal depended on a manual step.
Clients saw TLS errors for 25 minutes until the certificate was replaced.
""",
    "exports/incidents.jsonl": "\n".join(
        json.dumps(r)
        for r in (
            {
                "id": "INC-0201",
                "title": "Queue backlog delayed notifications",
                "severity": "SEV3",
                "services": ["notifications"],
                "summary": "A consumer deploy halved throughput and the queue backed up for two hours.",
                "root_cause": "The new consumer build used a single worker thread.",
            },
            {
                "id": "INC-0202",
                "title": "DNS change broke internal service discovery",
                "severity": "critical",
                "services": ["dns", "api-gateway"],
                "summary": "A DNS zone change removed internal records used by the API gateway.",
            },
        )
    )
    + "\n",
}
SAMPLE_IDS = {"INC-0101", "INC-0102", "INC-0201", "INC-0202"}  # the cert note gets a derived id


def write_corpus(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def sample_corpus(tmp_path: Path) -> Path:
    """A fresh copy of SAMPLE_FILES under tmp_path/corpus (tests may edit it)."""
    return write_corpus(tmp_path / "corpus", SAMPLE_FILES)


@pytest.fixture(scope="session")
def generated_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`hindsight generate --count 80 --seed 7` output (the folder holding postmortems/ and truth.jsonl)."""
    from pipelines import cli

    out = tmp_path_factory.mktemp("generated")
    assert cli.main(["generate", "--out", str(out), "--count", "80", "--seed", "7"]) == 0
    return out


@pytest.fixture(scope="session")
def built_db(generated_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built (with analysis) from the generated 80-incident corpus. Treat as read-only."""
    from pipelines.build.run import build

    db = tmp_path_factory.mktemp("built") / "hindsight.duckdb"
    build([generated_corpus / "postmortems"], db, jobs=2)
    return db
