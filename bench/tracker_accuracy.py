"""Tracker sync accuracy: for every ticketed action item of a truth file, is the ticket, the
effective status and closed_at right after `hindsight build --tracker`, beside the document-only
baseline (the status as the postmortem writes it, no closed_at) from the same build.

    python bench/tracker_accuracy.py                      # the dev set in ../shared/devset
    python bench/tracker_accuracy.py --devset PATH --misses
    python bench/tracker_accuracy.py --titles-only          # also: title matching alone
    python bench/tracker_accuracy.py --corpus C --tracker T1 --tracker T2 --truth TRUTH.jsonl [--catalog F]

The dev set (../shared/devset/README.md, "Tracker files"): corpus/, catalog-info.yaml,
tracker/jira.csv, tracker/github_issues.json, tracker/truth_tracker.jsonl with
{file, text_start, ticket, tracker_status, closed_at} per ticketed item.

Each truth row is found in the build by its write-up (incident_sources: the file, and for a
merged incident the items that write-up contributed) and the first not-yet-taken item whose text
starts with `text_start` (markup removed, case-folded, as bench/parse_accuracy.py does); when a
merged write-up's item was de-duplicated into the other write-up's differently worded item with the
same ticket, that item (3 rows of the dev set, `exports/incidents.jsonl:5`).
  ticket     the matched record's key, else the ticket the document cites, equals the truth ticket;
             baseline: the ticket the document cites
  status     action_items.status (effective) equals tracker_status; baseline: doc_status
  closed_at  the same UTC minute (null must be null); baseline: always null
An item not found is a miss in every column for both. Exit 0; 2 when the build fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hindsight_db import hindsight_command  # noqa: E402
from parse_accuracy import plain  # noqa: E402

DEVSET = Path(__file__).resolve().parents[2] / "shared" / "devset"
COLUMNS = ("ticket", "status", "closed_at")


def build(corpus: Path, trackers: list[Path], catalogs: list[Path], db: Path) -> dict:
    cmd = hindsight_command() + ["build", str(corpus), "--db", str(db), "--json", "--no-analysis"]
    for t in trackers:
        cmd += ["--tracker", str(t)]
    for c in catalogs:
        cmd += ["--catalog", str(c)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


def items_by_file(db: Path) -> dict[str, list[dict]]:
    """source path -> that write-up's items in order (with the effective and document columns)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""
            SELECT s.source_path, a.seq, a.text, coalesce(r."key", a.ticket) AS ticket, a.ticket AS doc_ticket, a.status, a.doc_status,
                   strftime(a.closed_at, '%Y-%m-%dT%H:%MZ') AS closed_at
            FROM incident_sources s JOIN action_items a
              ON a.incident_id = s.incident_id AND (s.item_seqs IS NULL OR list_contains(s.item_seqs, a.seq))
            LEFT JOIN tracker_records r ON r.record_id = a.tracker_record
            ORDER BY s.source_path, a.seq
        """).fetchall()
    finally:
        con.close()
    out: dict[str, list[dict]] = {}
    for path, _seq, text, ticket, doc_ticket, status, doc_status, closed in rows:
        out.setdefault(path, []).append({"text": plain(text), "ticket": ticket, "doc_ticket": doc_ticket, "status": status,
                                         "doc_status": doc_status, "closed_at": closed})
    return out


def score(truth: list[dict], items: dict[str, list[dict]]) -> tuple[dict, dict, list]:
    ours = {c: 0 for c in COLUMNS}
    base = {c: 0 for c in COLUMNS}
    misses = []
    taken: set[tuple[str, int]] = set()
    for t in truth:
        cands = items.get(t["file"], [])
        start = plain(t["text_start"])
        hit = next((n for n, x in enumerate(cands) if (t["file"], n) not in taken and x["text"].startswith(start)), None)
        if hit is None and t["ticket"]:
            # A merged write-up whose item was de-duplicated (same ticket) with the other write-up's
            # differently worded item: that item stands for it.
            hit = next((n for n, x in enumerate(cands) if (t["file"], n) not in taken and x["ticket"] == t["ticket"]), None)
        want_closed = t["closed_at"][:16] + "Z" if t.get("closed_at") else None
        if hit is None:
            misses.append((t["file"], t["text_start"], "item not found"))
            continue
        taken.add((t["file"], hit))
        got = cands[hit]
        checks = {
            "ticket": (got["ticket"] == t["ticket"], got["doc_ticket"] == t["ticket"]),
            "status": (got["status"] == t["tracker_status"], got["doc_status"] == t["tracker_status"]),
            "closed_at": (got["closed_at"] == want_closed, want_closed is None),
        }
        for col, (ok, base_ok) in checks.items():
            ours[col] += ok
            base[col] += base_ok
            if not ok:
                want = {"ticket": t["ticket"], "status": t["tracker_status"], "closed_at": want_closed}[col]
                misses.append((t["file"], t["text_start"], f"{col}: want {want!r}, got {got[col]!r}"))
    return ours, base, misses


def titles_only(db: Path, trackers: list[Path]) -> dict:
    """Match again as if no document cited a ticket: how much title matching alone recovers.

    Returns {key_matches, recovered (same record by title), wrong (a title match to another record
    than the full build's key or title match, or to an item the full build left unmatched)}. Calls the build's matching step directly on a copy of the
    database: the documents cannot be rewritten without tickets faithfully.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pipelines.build.tracker_sync import read_trackers, sync

    con = duckdb.connect(str(db))
    try:
        before = {(i, s): (r, how) for i, s, r, how in con.execute(
            "SELECT incident_id, seq, tracker_record, \"match\" FROM action_items WHERE \"match\" IS NOT NULL").fetchall()}
        con.execute("UPDATE action_items SET ticket = NULL")
        con.execute("DELETE FROM tracker_records")
        sync(con, read_trackers(trackers))
        after = {(i, s): r for i, s, r in con.execute(
            "SELECT incident_id, seq, tracker_record FROM action_items WHERE \"match\" = 'fuzzy'").fetchall()}
    finally:
        con.close()
    keyed = {k: r for k, (r, how) in before.items() if how == "key"}
    return {"key_matches": len(keyed), "recovered": sum(after.get(k) == v for k, v in keyed.items()),
            "wrong": sum(before.get(k, (None,))[0] != v for k, v in after.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=DEVSET)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--tracker", type=Path, action="append", default=[])
    ap.add_argument("--catalog", type=Path, action="append", default=[])
    ap.add_argument("--truth", type=Path)
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--titles-only", action="store_true",
                    help="also match as if no document cited a ticket: title matching alone, against the key matches")
    args = ap.parse_args(argv)
    corpus = args.corpus or args.devset / "corpus"
    trackers = args.tracker or [args.devset / "tracker" / "jira.csv", args.devset / "tracker" / "github_issues.json"]
    catalogs = args.catalog or ([args.devset / "catalog-info.yaml"] if not args.corpus else [])
    truth_path = args.truth or args.devset / "tracker" / "truth_tracker.jsonl"
    truth = [json.loads(line) for line in truth_path.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "t.duckdb"
        summary = build(corpus, trackers, catalogs, db)
        items = items_by_file(db)
        by_title = titles_only(db, trackers) if args.titles_only else None
    ours, base, misses = score(truth, items)
    n = len(truth)
    result = {
        "items": n, "tracker": summary.get("tracker", {}),
        "ours": {c: round(v / n, 3) for c, v in ours.items()},
        "baseline": {c: round(v / n, 3) for c, v in base.items()},
    } | ({"titles_only": by_title} if by_title else {})
    if args.json:
        print(json.dumps(result | ({"misses": misses} if args.misses else {})))
        return 0
    print(f"Tracker sync on {truth_path} ({n} ticketed items); build: {result['tracker']}")
    print(f"{'':12}{'ours':>8}{'baseline':>10}   (baseline: the document's status, no closed_at)")
    for c in COLUMNS:
        print(f"{c:12}{result['ours'][c]:>8.3f}{result['baseline'][c]:>10.3f}")
    timings = summary.get("timings", {})
    if "tracker" in timings:
        print(f"tracker step {timings['tracker']:.2f} s against parsing {timings.get('parse', 0):.2f} s in the same build "
              f"({timings['tracker'] / max(timings.get('parse', 0), 1e-9):.2f}x)")
    if by_title:
        print(f"titles only (tickets removed): {by_title['recovered']} of {by_title['key_matches']} key matches "
              f"recovered by title, {by_title['wrong']} wrong title matches")
    if args.misses:
        for m in misses:
            print("  miss:", *m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
