"""Parse accuracy: a Hindsight build scored field by field against a truth file, with the misses.

    python bench/parse_accuracy.py CORPUS TRUTH [--catalog FILE]... [--db PATH] [--misses] [--json]

    python bench/parse_accuracy.py ../shared/devset/corpus ../shared/devset/truth.jsonl --misses
    python bench/parse_accuracy.py data/sample/postmortems data/sample/truth.jsonl

CORPUS is built into a temporary database with `hindsight build CORPUS --db TMP --json
--no-analysis` (plus `--catalog FILE` for each one given), or `--db` names a database already
built from CORPUS. TRUTH is in the dev-set schema (../shared/devset/README.md, "truth.jsonl
fields") or in the schema `hindsight generate` writes; the latter is converted
(bench/truth_schema.py) and the fields it does not carry are shown as n/a.

Each truth record is found in the build by its source (hindsight_db.source_key: truth `file` is
relative to CORPUS; `exports/x.csv:ROW` counts data rows, the build counts lines). When the
build merges several write-ups into one incident (table `incident_sources`), the merged incident
is scored against the truth record of each of its sources: the incident's fields (date,
severity, services, team, times, blameful) on the merged values, the document's own fields
(title, sections, timeline events, action items) on the rows that write-up contributed, when
`incident_sources` lists them (hindsight_db.write_up_views). A record the build did not load
counts as a miss in every field, with the build's ingest error as what it got.

How each field is judged (share = correct / n, n = records or items where the truth has the field):
  title              equal after collapsing whitespace
  date               incidents.incident_date equals truth `date` (UTC day of the start)
  severity           equal (SEV1..SEV4; a truth null must be null)
  services           equal as sets, case-insensitive
  team               the team the document states: equal, case-insensitive (truth is the team
                     slug; a display name is a miss). A team the build attributed from the catalog
                     or the corpus (field_sources) counts as none stated; a truth record with
                     `team_from_catalog: true` expects none stated
  team (effective)   the team the dashboard shows, attribution included: the truth team, or when
                     the truth names none, the catalog owner of its first service (from the
                     --catalog files; none without a catalog)
  started_at, detected_at, resolved_at
                     the same UTC minute; a truth null must be null. `times` pools all three
  timeline_events    number of timeline_events rows equals the truth count
  sections_present   equal as sets over the dev-set keys (summary, impact, root_cause, timeline,
                     what_went_well, what_went_poorly, action_items, lessons_learned); the build's
                     section kinds carry these names, its other kinds (trigger, detection,
                     resolution, where_we_got_lucky, other) are not scored, and an unheaded
                     opening paragraph (stored as summary with no heading) is not a section.
                     `section keys` scores each (record, key) pair: present in both or in neither
  action_items       the number of parsed items equals the number of truth items
  item found         per truth item: some parsed item of the incident, not yet taken, whose text
                     starts with `text_start` (both with list/checkbox/emphasis markup and link
                     targets removed, whitespace collapsed, case-folded); first such item in order
  owner, due, status, ticket
                     per truth item, on its matched item: owner equal without '@' (null must be
                     null), due the same day, status equal, ticket equal. An item with no match is
                     a miss for each. `ticket` is "not available" when action_items has no ticket
                     column
  blameful           true when lint_findings has a `blameless/*` finding of severity error or
                     warning for the incident; "not available" without a lint_findings table

Prints a table (with --misses, each field's misses: file, expected, got); --json prints one
JSON object instead. Exit status 0; 2 when the build fails or the input cannot be read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling modules when run as a script

from hindsight_db import SOURCE_VIEW, BuildError, build, read_build, source_key  # noqa: E402
from truth_schema import DEVSET_SECTION_KEYS, load_truth  # noqa: E402

RECORD_FIELDS = (
    "title", "date", "severity", "services", "team", "team_effective", "started_at", "detected_at", "resolved_at",
    "timeline_events", "sections_present", "action_items", "blameful",
)
TIME_FIELDS = ("started_at", "detected_at", "resolved_at")
ITEM_FIELDS = ("owner", "due", "status", "ticket")
# Table order; `times` and `item found` are derived rows.
REPORT_ORDER = (
    "title", "date", "severity", "services", "team", "team_effective", "started_at", "detected_at", "resolved_at", "times",
    "timeline_events", "sections_present", "section keys", "action_items", "item found", "owner", "due", "status", "ticket",
    "blameful",
)
DERIVED = ("times", "section keys", "item found")
LABELS = {
    "action_items": "action-item count", "sections_present": "sections", "timeline_events": "timeline events",
    "team_effective": "team (effective)",
}
NOT_LOADED = "not loaded"


@dataclass
class FieldScore:
    correct: int = 0
    n: int = 0
    available: bool = True
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.correct / self.n if self.n and self.available else None

    def add(self, ok: bool, file: str, expected: Any, got: Any) -> None:
        self.n += 1
        if ok:
            self.correct += 1
        else:
            self.misses.append({"file": file, "expected": expected, "got": got})


# --------------------------------------------------------------------------- normalising


def squash(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_CHECKBOX = re.compile(r"^\[[ xX]\]\s*")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|__|~~")


def plain(text: str) -> str:
    """Item text as the dev set's text_start sees it: markup gone, backticks kept, case-folded."""
    t = _LIST_MARK.sub("", text)
    t = _CHECKBOX.sub("", t)
    t = _LINK.sub(r"\1", t)
    t = _EMPHASIS.sub("", t)
    return " ".join(t.split()).casefold()


def minute(value: str | None) -> str | None:
    """'2024-01-09T02:15:00Z' -> '2024-01-09T02:15Z' (the parsed side is already in this form)."""
    if value is None:
        return None
    return value[:16] + "Z" if len(value) >= 16 and value[10] == "T" else value


def owner_key(value: str | None) -> str | None:
    return None if value is None else squash(value.lstrip("@"))


def _fold(value: str | None) -> str | None:
    return None if value is None else value.strip().casefold()


# --------------------------------------------------------------------------- judging


def match_items(truth_items: list[dict[str, Any]], parsed_items: list[dict[str, Any]]) -> list[int | None]:
    """For each truth item, the index of its parsed item (first untaken one starting with text_start)."""
    texts = [plain(p["text"]) for p in parsed_items]
    taken: set[int] = set()
    out: list[int | None] = []
    for t in truth_items:
        start = plain(t["text_start"])
        hit = next((i for i, x in enumerate(texts) if i not in taken and x.startswith(start)), None)
        if hit is not None:
            taken.add(hit)
        out.append(hit)
    return out


def judge_field(name: str, expected: Any, got: Any) -> bool:
    """Whether the parsed value of record field `name` counts as correct."""
    if name == "title":
        return squash(expected) == squash(got)
    if name in TIME_FIELDS:
        return minute(expected) == minute(got)
    if name == "services":
        return {s.strip().casefold() for s in expected} == {s.strip().casefold() for s in got}
    if name in ("team", "team_effective"):
        return _fold(expected) == _fold(got)
    if name == "sections_present":
        keep = set(DEVSET_SECTION_KEYS)
        return set(expected) & keep == set(got) & keep
    if name == "action_items":
        return len(expected) == len(got)
    return expected == got  # date, severity, timeline_events, blameful


def judge_item(name: str, expected: Any, got: Any) -> bool:
    if name == "owner":
        return owner_key(expected) == owner_key(got)
    if name == "ticket":
        return squash(expected) == squash(got)
    return expected == got  # due (ISO day), status


def _shown(name: str, value: Any) -> Any:
    """A value as the misses list shows it: item counts as numbers, sections sorted."""
    if name == "action_items" and isinstance(value, list):
        return len(value)
    if name == "sections_present" and isinstance(value, list):
        return sorted(set(value) & set(DEVSET_SECTION_KEYS))
    if name == "services" and isinstance(value, list):
        return sorted(value)
    return value


def expected_teams(t: dict[str, Any], owners: dict[str, str]) -> tuple[str | None, str | None]:
    """(the team the document states, the team with catalog attribution) a truth record expects."""
    if t.get("team_from_catalog"):
        return None, t["team"]
    if t["team"] is not None or not t.get("services"):
        return t["team"], t["team"]
    return None, owners.get(t["services"][0])


def score(
    truth: list[dict[str, Any]],
    parsed_for: dict[str, dict[str, Any] | None],
    available: set[str],
    why_missing: dict[str, str] | None = None,
    owners: dict[str, str] | None = None,
) -> dict[str, FieldScore]:
    """Score every truth record against the parsed record of its source.

    `parsed_for` maps truth `file` to the parsed record (dev-set field names, items with `text`),
    or None when the build did not load it; `why_missing` gives the reason shown as `got`;
    `owners` maps catalog services to their owning team (catalog_owners).
    """
    why_missing = why_missing or {}
    owners = owners or {}
    scores = {name: FieldScore(available=name in available or name in DERIVED) for name in REPORT_ORDER}
    for t in truth:
        file = t["file"]
        p = parsed_for.get(file)
        lost = f"{NOT_LOADED}: {why_missing.get(file, 'no incident from this source')}"
        expected = dict(t)
        if "team" in t:
            expected["team"], expected["team_effective"] = expected_teams(t, owners)
        for name in RECORD_FIELDS:
            if name not in expected:
                continue
            got = lost if p is None else p.get(name)
            ok = p is not None and name in available and judge_field(name, expected[name], got)
            scores[name].add(ok, file, _shown(name, expected[name]), _shown(name, got))
            if name in TIME_FIELDS:
                scores["times"].add(ok, f"{file} ({name})", t[name], got)
            if name == "sections_present":
                for key in DEVSET_SECTION_KEYS:
                    want = key in t[name]
                    have = None if p is None else key in (got or [])
                    scores["section keys"].add(want == have, f"{file} ({key})", want, lost if p is None else have)
        if "action_items" not in t:
            continue
        p_items = [] if p is None else p["action_items"]
        for item, hit in zip(t["action_items"], match_items(t["action_items"], p_items)):
            where = f"{file} [{item['text_start']}]"
            scores["item found"].add(hit is not None, where, item["text_start"], lost if p is None else None)
            for name in ITEM_FIELDS:
                if name not in item:
                    continue
                if hit is None:
                    scores[name].add(False, where, item[name], lost if p is None else "no matching item")
                else:
                    got = p_items[hit].get(name)
                    scores[name].add(name in available and judge_item(name, item[name], got), where, item[name], got)
    return scores


# --------------------------------------------------------------------------- running


def catalog_owners(paths: list[Path]) -> dict[str, str]:
    """Backstage catalog files -> {component name: owning group name} (`spec.owner: group:x`)."""
    import yaml

    owners: dict[str, str] = {}
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and str(doc.get("kind", "")).lower() == "component":
                owner = str((doc.get("spec") or {}).get("owner") or "")
                kind, _, ref = owner.rpartition(":")
                if kind in ("", "group") and ref:
                    owners.setdefault(doc["metadata"]["name"], ref.rpartition("/")[2])
    return owners


def parsed_by_truth_file(
    truth: list[dict[str, Any]], corpus: Path, db: Path
) -> tuple[dict[str, dict[str, Any] | None], set[str], dict[str, str], int]:
    """(truth file -> parsed record or None, fields available, truth file -> why not loaded, incidents in DB)."""
    sources, recs, available, errors = read_build(db)
    cache: dict[Path, list[int]] = {}
    parsed: dict[str, dict[str, Any] | None] = {}
    why: dict[str, str] = {}
    for t in truth:
        key = t.get("source_key") or source_key(t["file"], corpus, cache)
        iid = sources.get(key)
        parsed[t["file"]] = recs.get(iid) if iid else None
        if iid is None:
            why[t["file"]] = errors.get(key) or errors.get(key.rpartition(":")[0] or key) or f"no incident with source {key}"
    return parsed, available, why, sum(SOURCE_VIEW not in iid for iid in recs)


def summary(scores: dict[str, FieldScore], with_misses: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in REPORT_ORDER:
        s = scores[name]
        row: dict[str, Any] = {"share": None if s.share is None else round(s.share, 4), "correct": s.correct, "n": s.n}
        if not s.available:
            row["note"] = "not available"
        elif s.n == 0:
            row["note"] = "n/a"
        if with_misses and s.available:
            row["misses"] = s.misses
        out[LABELS.get(name, name)] = row
    return out


def print_table(head: dict[str, Any], fields: dict[str, Any], with_misses: bool) -> None:
    for k, v in head.items():
        print(f"{k}: {v}")
    print()
    print(f"{'field':<20} {'share':>6} {'correct/n':>11}")
    for name, row in fields.items():
        if row.get("note") == "not available":
            print(f"{name:<20} not available in this database (n = {row['n']})")
        elif row.get("note") == "n/a":
            print(f"{name:<20} {'n/a':>6}   (the truth file does not carry it)")
        else:
            print(f"{name:<20} {row['share']:>6.2f} {row['correct']:>5}/{row['n']:<5}")
    if not with_misses:
        return
    for name, row in fields.items():
        if not row.get("misses"):
            continue
        print(f"\n## {name}: {len(row['misses'])} misses")
        for m in row["misses"]:
            print(f"  {m['file']}\n      expected {json.dumps(m['expected'], ensure_ascii=False)}"
                  f"\n      got      {json.dumps(m['got'], ensure_ascii=False, default=str)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help="folder the truth file's paths are relative to")
    ap.add_argument("truth", type=Path, help="truth JSONL (dev-set or `hindsight generate` schema)")
    ap.add_argument("--catalog", type=Path, action="append", default=[], help="passed to `hindsight build`")
    ap.add_argument("--db", type=Path, help="score this database (built from CORPUS) instead of building")
    ap.add_argument("--misses", action="store_true", help="list every miss: file, expected, got")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    try:
        schema, truth = load_truth(args.truth)
        with tempfile.TemporaryDirectory(prefix="hindsight-accuracy-") as tmp:
            db = args.db
            if db is None:
                db = Path(tmp) / "accuracy.duckdb"
                build(args.corpus, db, args.catalog)
            elif args.catalog:
                print("note: --catalog is ignored with --db (the database is already built)", file=sys.stderr)
            parsed, available, why, n_incidents = parsed_by_truth_file(truth, args.corpus, db)
    except (BuildError, ValueError, OSError) as exc:
        print(f"parse_accuracy: {exc}", file=sys.stderr)
        return 2
    scores = score(truth, parsed, available, why, catalog_owners(args.catalog))
    head = {
        "corpus": str(args.corpus), "truth": f"{args.truth} ({schema} schema)",
        "db": str(args.db) if args.db else "temporary build",
        "catalogs": [str(c) for c in args.catalog],
        "truth records": len(truth),
        "records found in build": sum(p is not None for p in parsed.values()),
        "incidents in build": n_incidents,
    }
    fields = summary(scores, args.misses)
    if args.json:
        print(json.dumps({**head, "fields": fields}, ensure_ascii=False, default=str))
    else:
        print_table(head, fields, args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
