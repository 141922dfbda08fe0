"""Today's Hindsight on the evaluation sets: `hindsight build` each one (labels removed first),
then read each incident's main theme (highest `incident_themes` weight) and its precomputed
`related_incidents` list. Writes bench/out/proto_themes/today-<set>.json mapping record id ->
{"theme": int, "related": [record ids best first]}.

    python bench/proto_themes/hindsight_today.py
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from data import CORPORA, DEVSET  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out" / "proto_themes"
HINDSIGHT = ROOT / ".venv" / "bin" / "hindsight"


def _stripped_jsonl(src: Path, dst: Path, drop: tuple[str, ...]) -> None:
    rows = [json.loads(x) for x in src.read_text().splitlines() if x.strip()]
    dst.write_text("".join(json.dumps({k: v for k, v in r.items() if k not in drop}) + "\n" for r in rows))


def _stripped_icco(src: Path, dst: Path) -> None:
    import yaml

    dst.mkdir(parents=True, exist_ok=True)
    for p in src.glob("*.md"):
        raw = p.read_text()
        _, fm, body = raw.split("---\n", 2)
        meta = yaml.safe_load(fm)
        for k in ("categories", "keywords", "url", "source_fetched_at"):
            meta.pop(k, None)
        (dst / p.name).write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body)


def prepare(name: str, work: Path) -> Path:
    corpus = work / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    if name == "devset":
        shutil.copytree(DEVSET / "corpus", corpus, dirs_exist_ok=True)
    elif name == "danluu":
        _stripped_jsonl(CORPORA / "danluu.jsonl", corpus / "danluu.jsonl", ("labels", "section", "source", "url"))
    elif name == "github":
        _stripped_jsonl(CORPORA / "github_status.jsonl", corpus / "github.jsonl", ("labels", "url"))
    elif name == "icco":
        _stripped_icco(CORPORA / "icco", corpus)
    return corpus


def record_id(name: str, source_path: str, jsonl_ids: list[str] | None, csv_rows: dict[int, int]) -> str:
    if name in ("danluu", "github"):
        return jsonl_ids[int(source_path.rsplit(":", 1)[1]) - 1]
    if name == "icco":
        return Path(source_path).stem
    if source_path.startswith("exports/incidents.csv:"):
        return f"exports/incidents.csv:{csv_rows[int(source_path.rsplit(':', 1)[1])]}"
    return source_path


def run(name: str) -> dict:
    work = OUT / f"today-{name}"
    corpus = prepare(name, work)
    db = work / "h.duckdb"
    t = time.perf_counter()
    subprocess.run([str(HINDSIGHT), "build", str(corpus), "--db", str(db), "--json"], check=True, stdout=subprocess.DEVNULL)
    secs = time.perf_counter() - t
    jsonl_ids = None
    if name in ("danluu", "github"):
        src = CORPORA / ("danluu.jsonl" if name == "danluu" else "github_status.jsonl")
        jsonl_ids = [json.loads(x)["id"] for x in src.read_text().splitlines() if x.strip()]
    csv_rows: dict[int, int] = {}
    if name == "devset":
        # CSV records are keyed by the line a row starts on; truth numbers rows from 1.
        text = (DEVSET / "corpus" / "exports" / "incidents.csv").read_text()
        reader = csv.reader(io.StringIO(text))
        next(reader)
        for i, _ in enumerate(reader, 1):
            csv_rows[reader.line_num] = i  # last line of the row = its first here (one-line rows)
    con = duckdb.connect(str(db), read_only=True)
    ids = dict(con.execute("SELECT incident_id, source_path FROM incidents").fetchall())
    rid = {i: record_id(name, sp, jsonl_ids, csv_rows) for i, sp in ids.items()}
    themes = con.execute(
        "SELECT incident_id, arg_max(theme_id, weight) FROM incident_themes WHERE theme_id <> -1 GROUP BY incident_id"
    ).fetchall()
    cols = [r[0] for r in con.execute("DESCRIBE related_incidents").fetchall()]
    order = "rank" if "rank" in cols else "score DESC"
    rel = con.execute(f"SELECT incident_id, related_id FROM related_incidents ORDER BY incident_id, {order}").fetchall()
    out: dict[str, dict] = {rid[i]: {"theme": None, "related": []} for i in ids}
    for i, th in themes:
        out[rid[i]]["theme"] = int(th)
    for i, j in rel:
        out[rid[i]]["related"].append(rid[j])
    (OUT / f"today-{name}.json").write_text(json.dumps({"build_seconds": secs, "records": out}))
    print(f"{name}: {len(ids)} incidents, build {secs:.1f} s, columns {cols}")
    return out


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for n in sys.argv[1:] or ["devset", "danluu", "github", "icco"]:
        run(n)
