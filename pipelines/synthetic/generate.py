"""`hindsight generate`: a realistic synthetic postmortem corpus plus its ground truth.

The corpus covers three years ending October 2026 (fixed dates, never today's), ~12 services
owned by 6 teams, 15 recurring contributing-factor themes written with varied wording,
planted repeat incidents (some after every action item of the earlier incident was done),
near-duplicates, restricted security incidents, a few blameful documents, and a mix of
postmortem templates and exports so the parser is exercised. Same seed, same bytes.

Layout under DIR:
    postmortems/YYYY/YYYY-MM-DD-<slug>.md   Markdown (several templates, see `TEMPLATES`)
    postmortems/exports/incidents.jsonl     one JSON object per incident
    postmortems/exports/pagerbot-export.json  {"incidents": [...]}, metadata nested under "fields"
    postmortems/exports/legacy-tracker.csv  one row per incident, Markdown in `body`
    truth.jsonl                             one JSON object per incident (schema below)
    tracker/jira.csv, tracker/github_issues.json, tracker/truth_tracker.jsonl
                                            what the trackers say about the action items
                                            (pipelines/synthetic/trackers.py)

truth.jsonl schema (one object per incident, sorted by started_at):
    incident_id      str    the id written in the document (front matter, `ID:` line, or record)
    source_path      str    relative to DIR/postmortems, POSIX; export records get ":N": the
                            JSONL line, the 1-based index in the JSON array, or the CSV line
                            where the record starts (header = line 1; bodies span lines)
    template         str    google_sre | pagerduty | atlassian | gitlab | short | messy |
                            meta_table | prose | jsonl | json | csv
    format           str    markdown | jsonl | json | csv
    title            str
    themes           [str]  theme keys (see generate_text.THEMES), main theme first
    main_theme       str
    services         [str]  primary service first
    team             str
    severity         str    SEV1..SEV4 (canonical)
    severity_raw     str    as written in the document
    started_at, detected_at, mitigated_at, resolved_at
                     str|null  UTC ISO "YYYY-MM-DDTHH:MM:SS": what a correct parser extracts
                            (front matter, else timeline markers); null when the document does
                            not state it
    true_started_at, true_resolved_at   str  the generator's times even when not written
    repeat_of        [str]  earlier incidents with the same main theme and a shared service
                            that started at most 180 days before this one
    repeat_after_fix bool   some incident in repeat_of had action items, all done
    near_duplicate_of str|null  the incident this one was written from (lightly reworded)
    action_items     [{text, owner, due_date, status, priority, kind, ticket, vague}]
                            owner without a leading "@" or null; due_date ISO or null (also
                            when the document's table has no due column); status canonical:
                            open | in_progress | done | wont_fix; kind prevent | mitigate |
                            detect | process; vague: no checkable outcome ("Investigate ...")
    restricted       bool
    allowed_groups   [str]
    blameful         bool   the document blames a person
    blameful_lines   [int]  1-based line numbers of the blameful sentences in the file
    sections         [str]  canonical section kinds present in the document (headings; "other" omitted)
    placeholder_sections [str]  of those, the ones whose body is only a placeholder ("TBD")
    crlf, bom        bool   the file uses CRLF line endings / starts with a UTF-8 BOM
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines.synthetic import render
from pipelines.synthetic.trackers import write_tracker_exports
from pipelines.synthetic.plan import (
    CSV_EXPORT, JSON_EXPORT, JSONL_EXPORT, REPEAT_WINDOW, VAGUE_STARTS, IncidentPlan, plan_corpus,
)


@dataclass
class GenerateSummary:
    out: Path
    incidents: int
    markdown_files: int
    export_records: int


# ---- planning -----------------------------------------------------------------------------


def _iso(t: datetime | None) -> str | None:
    return t.strftime("%Y-%m-%dT%H:%M:%S") if t else None


def _repeats(plans: list[IncidentPlan]) -> dict[str, list[str]]:
    by_key: dict[tuple[str, str], list[IncidentPlan]] = {}
    out: dict[str, list[str]] = {}
    for p in plans:  # chronological
        earlier: list[str] = []
        for svc in p.services:
            for q in by_key.get((p.main_theme, svc), []):
                if p.started - q.started <= REPEAT_WINDOW and q.incident_id not in earlier:
                    earlier.append(q.incident_id)
        out[p.incident_id] = sorted(earlier)
        for svc in p.services:
            by_key.setdefault((p.main_theme, svc), []).append(p)
    return out


def _states_start(plan: IncidentPlan, doc: render.Rendered) -> bool:
    """Whether the prose gives the start of impact although no field or marker does: the vendor
    trigger "X began timing out at HH:MM UTC" is the start, and a reader (or the parser) takes it."""
    text = doc.data.decode("utf-8", "replace") if doc.data else json.dumps(doc.record or {})
    return f"began timing out at {plan.started:%H:%M} UTC" in text


def _truth(plan: IncidentPlan, doc: render.Rendered, repeats: dict[str, list[str]],
           by_id: dict[str, IncidentPlan]) -> dict:
    repeat_of = repeats[plan.incident_id]
    after_fix = any(by_id[r].actions and all(a.status == "done" for a in by_id[r].actions) for r in repeat_of)
    return {
        "incident_id": plan.incident_id,
        "source_path": doc.source_path,
        "template": plan.template,
        "format": plan.fmt,
        "title": plan.title,
        "themes": plan.themes,
        "main_theme": plan.main_theme,
        "services": plan.services,
        "team": plan.team,
        "severity": plan.severity,
        "severity_raw": plan.severity_raw,
        "started_at": _iso(plan.started) if "started" in doc.visible_times or _states_start(plan, doc) else None,
        "detected_at": _iso(plan.detected) if "detected" in doc.visible_times else None,
        "mitigated_at": _iso(plan.mitigated) if "mitigated" in doc.visible_times else None,
        "resolved_at": _iso(plan.resolved) if "resolved" in doc.visible_times else None,
        "true_started_at": _iso(plan.started),
        "true_resolved_at": _iso(plan.resolved),
        "repeat_of": repeat_of,
        "repeat_after_fix": after_fix,
        "near_duplicate_of": plan.near_duplicate_of,
        "action_items": [
            {
                "text": a.text,
                "owner": doc.owner_names.get(id(a)),
                "due_date": a.due.isoformat() if a.due and id(a) not in doc.hidden_dues else None,
                "status": a.status,
                "priority": a.priority,
                "kind": a.kind,
                "ticket": a.ticket if id(a) not in doc.hidden_tickets else None,
                "vague": a.text.lower().startswith(VAGUE_STARTS),
            }
            for a in plan.actions
        ],
        "restricted": plan.restricted,
        "allowed_groups": ["security"] if plan.restricted else [],
        "blameful": bool(doc.blameful_lines),
        "blameful_lines": doc.blameful_lines,
        "sections": doc.sections,
        "placeholder_sections": doc.placeholder_sections,
        "crlf": doc.crlf,
        "bom": doc.bom,
    }


# ---- writing ------------------------------------------------------------------------------


def _slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    return "-".join(words[:7]) or "incident"


def _clear_previous(out: Path, root: Path) -> None:
    """Replace an earlier generated corpus (it has truth.jsonl beside it), never anyone's own files:
    stale files from a larger earlier run would otherwise be built along with the new ones."""
    if not root.exists() or not any(root.iterdir()):
        return
    if not (out / "truth.jsonl").is_file():
        raise FileExistsError(
            f"{root} already holds files and {out / 'truth.jsonl'} is missing, so they are not a generated "
            "corpus; choose an empty --out folder"
        )
    shutil.rmtree(root)


def generate(out: Path, count: int, seed: int) -> GenerateSummary:
    """Write DIR/postmortems/** and DIR/truth.jsonl; the same (count, seed) gives the same bytes.

    An earlier generated corpus in DIR is replaced; a DIR/postmortems holding other files is
    refused (FileExistsError)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    root = out / "postmortems"
    _clear_previous(out, root)
    plans = plan_corpus(count, seed)
    by_id = {p.incident_id: p for p in plans}
    repeats = _repeats(plans)
    root.mkdir(parents=True, exist_ok=True)

    used_paths: set[str] = set()
    rendered: list[tuple[IncidentPlan, render.Rendered]] = []
    jsonl_rows: list[str] = []
    json_records: list[dict] = []
    csv_rows: list[str] = []
    csv_line = 2  # where the next CSV record starts (header = line 1); bodies span several lines
    for year in sorted({p.started.year for p in plans if p.fmt == "markdown"}):
        (root / str(year)).mkdir(parents=True, exist_ok=True)
    # Creating thousands of small files is latency-bound on a busy disk: writer threads overlap
    # those waits with each other and with rendering (file writes release the GIL).
    with ThreadPoolExecutor(max_workers=8) as pool:
        writes = []
        for plan in plans:
            rng = random.Random(plan.text_seed ^ 0x5EED)  # near-duplicates share their original's seed
            doc = render.render(plan, rng, by_id)
            if plan.fmt == "jsonl":
                jsonl_rows.append(json.dumps(doc.record, ensure_ascii=False))
                doc.source_path = f"{JSONL_EXPORT}:{len(jsonl_rows)}"
            elif plan.fmt == "json":
                json_records.append(doc.record)
                doc.source_path = f"{JSON_EXPORT}:{len(json_records)}"
            elif plan.fmt == "csv":
                row = io.StringIO()
                csv.DictWriter(row, fieldnames=render.CSV_COLUMNS, lineterminator="\n").writerow(doc.record)
                csv_rows.append(row.getvalue())
                doc.source_path = f"{CSV_EXPORT}:{csv_line}"
                csv_line += csv_rows[-1].count("\n")
            else:
                base = f"{plan.started:%Y}/{plan.started:%Y-%m-%d}-{_slug(plan.title)}"
                path, k = f"{base}.md", 2
                while path in used_paths:
                    path, k = f"{base}-{k}.md", k + 1
                used_paths.add(path)
                doc.source_path = path
                writes.append(pool.submit((root / path).write_bytes, doc.data))
            rendered.append((plan, doc))

        exports: dict[str, bytes] = {}
        if jsonl_rows:
            exports[JSONL_EXPORT] = ("\n".join(jsonl_rows) + "\n").encode()
        if json_records:
            exports[JSON_EXPORT] = (json.dumps({"incidents": json_records}, ensure_ascii=False, indent=2) + "\n").encode()
        if csv_rows:
            exports[CSV_EXPORT] = (",".join(render.CSV_COLUMNS) + "\n" + "".join(csv_rows)).encode()
        if exports:
            (root / "exports").mkdir(parents=True, exist_ok=True)
        writes += [pool.submit((root / rel).write_bytes, data) for rel, data in exports.items()]
        for w in writes:
            w.result()  # re-raise the first failed write

    lines = [json.dumps(_truth(p, d, repeats, by_id), ensure_ascii=False) for p, d in rendered]
    (out / "truth.jsonl").write_bytes(("\n".join(lines) + "\n").encode())
    write_tracker_exports(out, [(p, d.source_path) for p, d in rendered], seed)
    exported = sum(p.fmt != "markdown" for p in plans)
    return GenerateSummary(out=out, incidents=len(plans), markdown_files=len(plans) - exported,
                           export_records=exported)
