"""Labelled evaluation sets for the failure-mode / related-incident prototype.

Every record is parsed with today's parser (`pipelines.parse.parse_file`), as a build would,
after removing the label fields from the input so no label can leak into the text or the tags.

- devset: 46 Larkspur records, labels = truth `themes` (primary = first), `repeat_of`,
  truth services (catalog slugs) and parsed services.
- danluu: 190 one-paragraph summaries, label = the list's section (`uncategorized` for 119).
- github: 1,282 status-page incidents, labels = `component:*` (records without one are kept in
  the corpus but not scored).
- icco: 242 front-matter summaries, weak `categories` (keyword-assigned, for looking only).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.factors import split_sentences
from pipelines.parse import parse_file

SHARED = Path(__file__).resolve().parents[3] / "shared"
if not SHARED.exists():  # worktrees live beside /work/main; shared is /work/shared
    SHARED = Path("/work/shared")
DEVSET = SHARED / "devset"
CORPORA = SHARED / "corpora"

CAUSE_SECTIONS = ("root_cause", "trigger", "what_went_poorly")
# Sections that never describe the failure (for the whole-document text they stay: the
# baseline is "whole document"; for cause text they are skipped).
_NOT_CAUSE = ("timeline", "action_items", "what_went_well", "where_we_got_lucky")


@dataclass
class Record:
    rid: str
    dataset: str
    title: str
    text: str  # whole document (title, summary, every section body)
    sentences: list[tuple[str, str]]  # (cause sentence, where: root_cause|trigger|what_went_poorly|prose)
    labels: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)  # truth (devset) or parsed
    parsed_services: list[str] = field(default_factory=list)
    date: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def primary(self) -> str | None:
        return self.labels[0] if self.labels else None

    @property
    def cause_text(self) -> str:
        return " ".join(s for s, _ in self.sentences)

    def half(self) -> str:
        """'tune' or 'held' by a hash of the id (stable, label-blind split)."""
        return "tune" if int(hashlib.sha1(self.rid.encode()).hexdigest(), 16) % 2 == 0 else "held"


def _from_incident(inc, rid: str, dataset: str) -> Record:
    body = "\n".join(f"{s.heading}\n{s.body}" for s in inc.sections)
    text = "\n".join(x for x in (inc.title or "", inc.summary or "", body) if x)
    sents: list[tuple[str, str]] = []
    for f in inc.factors:
        where = f.source_section if f.source_section in CAUSE_SECTIONS else "prose"
        sents.append((f.text, where))
    if not sents:
        # Nothing with a cause cue: every prose sentence stands in (short summaries, exports).
        for s in inc.sections:
            if s.kind in _NOT_CAUSE:
                continue
            for sent in split_sentences(" ".join(s.body.split())):
                if len(sent.split()) >= 3:
                    sents.append((sent, "prose"))
    if not sents and inc.title:
        sents.append((inc.title, "prose"))
    return Record(
        rid=rid, dataset=dataset, title=inc.title or "", text=text, sentences=sents,
        parsed_services=[x.lower() for x in inc.services],
        date=str(inc.date) if inc.date else None,
    )


def load_devset() -> list[Record]:
    truth = [json.loads(line) for line in (DEVSET / "truth.jsonl").read_text().splitlines() if line.strip()]
    by_file = {t["file"]: t for t in truth}
    root = DEVSET / "corpus"
    out: list[Record] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        pf = parse_file(path.read_bytes(), rel)
        for i, inc in enumerate(pf.incidents, 1):
            key = f"{rel}:{i}" if rel.endswith(".csv") else inc.source_path
            t = by_file[key]
            r = _from_incident(inc, key, "devset")
            r.labels = list(t["themes"])
            r.services = list(t["services"])
            r.date = t["date"]
            r.extra = {"repeat_of": t.get("repeat_of"), "style": t["style"]}
            out.append(r)
    assert len(out) == 46, len(out)
    return out


# The devset README lists these near-duplicate write-ups of the same incident.
NEAR_DUPLICATES = (
    ("2025-04-15-inc-1187-identity-session-store.md", "2025-04-16-gh-identity-session-redis-oom.md"),
    ("2026-03-10-identity-clock-skew-jwt.md", "exports/incidents.jsonl:5"),
    ("2025-06-24-edge-authoritative-dns-outage.md", "exports/incidents.csv:1"),
)


def _jsonl_records(path: Path, dataset: str, drop: tuple[str, ...]) -> list[tuple[dict, Record]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    clean = "\n".join(json.dumps({k: v for k, v in r.items() if k not in drop}) for r in rows)
    pf = parse_file(clean.encode(), f"{dataset}.jsonl")
    assert len(pf.incidents) == len(rows), (len(pf.incidents), len(rows))
    return [(row, _from_incident(inc, row["id"], dataset)) for row, inc in zip(rows, pf.incidents)]


def load_danluu() -> list[Record]:
    out = []
    for row, r in _jsonl_records(CORPORA / "danluu.jsonl", "danluu", ("labels", "section", "source", "url")):
        r.labels = list(row["labels"])
        out.append(r)
    return out


def load_github() -> list[Record]:
    out = []
    for row, r in _jsonl_records(CORPORA / "github_status.jsonl", "github", ("labels", "url")):
        r.labels = sorted(l.split(":", 1)[1] for l in row["labels"] if l.startswith("component:"))
        r.extra = {"impact": [l for l in row["labels"] if l.startswith("impact:")]}
        out.append(r)
    return out


_FRONT = re.compile(r"^---\n(.*?)\n---\n", re.S)


def load_icco() -> list[Record]:
    import yaml

    out = []
    for path in sorted((CORPORA / "icco").glob("*.md")):
        raw = path.read_text()
        m = _FRONT.match(raw)
        meta = yaml.safe_load(m.group(1)) if m else {}
        # categories are keyword-rule labels and keywords are free-form tags: neither goes in.
        kept = {k: v for k, v in meta.items() if k not in ("categories", "keywords", "url", "source_fetched_at")}
        doc = "---\n" + yaml.safe_dump(kept, allow_unicode=True) + "---\n" + raw[m.end():] if m else raw
        pf = parse_file(doc.encode(), path.name)
        r = _from_incident(pf.incidents[0], meta.get("uuid", path.stem), "icco")
        r.labels = list(meta.get("categories") or [])
        r.extra = {"company": meta.get("company"), "keywords": meta.get("keywords") or []}
        out.append(r)
    return out


def load_all() -> dict[str, list[Record]]:
    return {"devset": load_devset(), "danluu": load_danluu(), "github": load_github(), "icco": load_icco()}


if __name__ == "__main__":
    import time

    t = time.perf_counter()
    sets = load_all()
    for name, recs in sets.items():
        n_s = sum(len(r.sentences) for r in recs)
        print(f"{name}: {len(recs)} records, {n_s} cause sentences, labelled {sum(bool(r.labels) for r in recs)}")
    print(f"{time.perf_counter() - t:.1f} s")
