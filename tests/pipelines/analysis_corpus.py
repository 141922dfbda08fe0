"""A small hand-written corpus straight into DuckDB, for the analysis tests.

It does not go through parse/build on purpose: the analysis tests should fail only when the
analysis is wrong. Sentences are our own; each theme has several phrasings so clustering has
to generalize, not match strings.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import duckdb

from pipelines.build import schema

THEME_SENTENCES: dict[str, list[str]] = {
    "cert_expiry": [
        "The TLS certificate on {svc} expired and clients failed the handshake.",
        "An expired certificate on the {svc} load balancer broke TLS handshakes.",
        "Certificate renewal for {svc} silently failed, so the cert expired overnight.",
        "Nobody renewed the intermediate certificate and TLS handshakes to {svc} failed.",
    ],
    "pool_exhaustion": [
        "The database connection pool of {svc} was exhausted under load.",
        "{svc} ran out of database connections because the pool size was too small.",
        "Connection pool exhaustion in {svc} made every query wait for a free connection.",
        "A slow query held connections until the {svc} pool was exhausted.",
    ],
    "bad_config_push": [
        "A configuration push to {svc} contained an invalid routing rule.",
        "A bad config change on {svc} was pushed to all regions at once without a canary.",
        "The config push for {svc} disabled the feature flag defaults by mistake.",
        "An untested configuration change to {svc} was rolled out globally.",
    ],
    "disk_full": [
        "The log volume on {svc} hosts filled the disk completely.",
        "Disk space on {svc} ran out because old log files were never rotated.",
        "{svc} nodes hit a full disk and the write path stopped accepting data.",
        "Log rotation was misconfigured so the {svc} disk filled up.",
    ],
    "missing_alert": [
        "No alert fired for the elevated error rate on {svc}.",
        "Monitoring on {svc} had no alert for the queue backlog, so detection was late.",
        "The {svc} dashboard showed the problem but no alert paged anyone.",
        "Alert thresholds on {svc} were too loose and the alert never fired.",
    ],
    "dns_provider": [
        "The third-party DNS provider had an outage and {svc} names stopped resolving.",
        "DNS resolution for {svc} failed during the upstream provider incident.",
        "Our DNS vendor returned SERVFAIL for {svc} records for forty minutes.",
        "The external DNS provider dropped the {svc} zone after a billing error.",
    ],
}
SERVICES = ("checkout", "payments", "search", "ledger", "gateway", "inventory")
SHARED_EXTRAS = (
    "The runbook for {svc} was out of date.",
    "Rollback of {svc} took longer than expected.",
)


def make_incident_rows(n: int, seed: int = 0, start: date = date(2024, 1, 1), days: int = 600) -> list[dict]:
    """n incidents, each with one main theme (2 factors) and sometimes a second theme."""
    rng = random.Random(seed)
    themes = sorted(THEME_SENTENCES)
    rows = []
    for i in range(n):
        main = themes[i % len(themes)]
        svc = rng.choice(SERVICES)
        factors = [s.format(svc=svc) for s in rng.sample(THEME_SENTENCES[main], 2)]
        factor_themes = [main, main]
        other = None
        if rng.random() < 0.3:
            other = rng.choice([t for t in themes if t != main])
            factors.append(rng.choice(THEME_SENTENCES[other]).format(svc=svc))
            factor_themes.append(other)
        if rng.random() < 0.2:
            factors.append(rng.choice(SHARED_EXTRAS).format(svc=svc))
            factor_themes.append("extra")
        at = datetime.combine(start, datetime.min.time()) + timedelta(days=rng.randrange(days), hours=rng.randrange(24))
        rows.append(
            {
                "incident_id": f"INC-{i:04d}",
                "title": f"{svc} degraded: {factors[0][:60]}",
                "summary": " ".join(factors[:2]),
                "started_at": at,
                "services": [svc],
                "factors": factors,
                "factor_themes": factor_themes,
                "main_theme": main,
                "themes": [main] + ([other] if other else []),
                "restricted": False,
                "actions": [],
            }
        )
    return rows


def load_rows(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    con.execute("BEGIN")  # one commit, not one per row: file databases sync on every commit
    for r in rows:
        con.execute(
            "INSERT INTO incidents (incident_id, title, source_path, source_format, incident_date, started_at, summary, restricted) "
            "VALUES (?, ?, ?, 'markdown', ?, ?, ?, ?)",
            [r["incident_id"], r["title"], f"{r['incident_id']}.md", r["started_at"].date() if r["started_at"] else None,
             r["started_at"], r["summary"], r.get("restricted", False)],
        )
        for s in r["services"]:
            con.execute("INSERT INTO incident_services VALUES (?, ?)", [r["incident_id"], s])
        for seq, f in enumerate(r["factors"]):
            section = "root_cause" if seq == 0 else "what_went_poorly"
            con.execute(
                "INSERT INTO contributing_factors (incident_id, seq, text, source_section) VALUES (?, ?, ?, ?)",
                [r["incident_id"], seq, f, section],
            )
        con.execute(
            "INSERT INTO sections VALUES (?, 0, 'summary', 'Summary', ?, 1)", [r["incident_id"], r["summary"]]
        )
        for seq, (text, status, due) in enumerate(r.get("actions", [])):
            con.execute(
                "INSERT INTO action_items (incident_id, seq, text, status, due_date) VALUES (?, ?, ?, ?, ?)",
                [r["incident_id"], seq, text, status, due],
            )
    con.execute("COMMIT")


def make_db(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    schema.create_schema(con)
    load_rows(con, rows)
    return con
