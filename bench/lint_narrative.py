"""Completeness scores and root-cause findings on real narrative postmortems (the icco and danluu corpora).

    .venv/bin/python bench/lint_narrative.py                 # both corpora from ../shared/corpora
    .venv/bin/python bench/lint_narrative.py --show 5        # plus five documents per corpus and their findings

Most public postmortems are unsectioned prose. This prints, per corpus, the completeness score
distribution, how many documents the linter treats as narrative (no template headings), and how
many get "no root cause" although their prose states a cause in a sentence the narrative rules
recognise (cue phrases in pipelines/lint/narrative_cues.toml). Evaluation material only: the
corpora are never copied into the project.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.lint.checks import lint_incident  # noqa: E402
from pipelines.parsing.files import parse_file  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
SOURCES = {"icco": CORPORA / "icco", "danluu": CORPORA / "danluu.jsonl"}
ROOT_CAUSE_RULES = ("completeness/missing-section", "completeness/placeholder-section", "completeness/no-root-cause")


def incidents(path: Path):
    files = sorted(path.glob("*.md")) if path.is_dir() else [path]
    for f in files:
        yield from parse_file(f.read_bytes(), str(f)).incidents


def _quantiles(scores: list[int]) -> str:
    q = statistics.quantiles(scores, n=4, method="inclusive")
    return f"min {min(scores)}  p25 {q[0]:.0f}  median {q[1]:.0f}  p75 {q[2]:.0f}  max {max(scores)}  mean {statistics.mean(scores):.1f}"


def _histogram(scores: list[int]) -> str:
    bins = Counter(min(s // 10, 9) for s in scores)
    return "  ".join(f"{b * 10}-{b * 10 + 9 if b < 9 else 100}: {bins.get(b, 0)}" for b in range(10))


def measure(name: str, path: Path, show: int) -> None:
    scores, no_root_cause, narrative = [], 0, 0
    rules: Counter[str] = Counter()
    shown = 0
    for inc in incidents(path):
        result = lint_incident(inc)
        scores.append(result.completeness)
        narrative += not any(s.heading.strip() for s in inc.sections)
        rc = [f for f in result.findings if f.rule in ROOT_CAUSE_RULES and "root" in f.message.lower()]
        no_root_cause += bool(rc)
        rules.update(f.rule for f in result.findings)
        if shown < show:
            shown += 1
            print(f"  {inc.source_path}: {result.completeness}")
            for f in result.findings:
                print(f"      {f.severity:7} {f.rule}: {f.message[:110]}")
    print(f"{name}: {len(scores)} documents, {narrative} without template headings")
    print(f"  completeness: {_quantiles(scores)}")
    print(f"  histogram:    {_histogram(scores)}")
    print(f"  'no root cause' findings: {no_root_cause} of {len(scores)}")
    print(f"  findings by rule: {dict(rules.most_common())}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=0, help="print this many documents per corpus with their findings")
    args = ap.parse_args(argv)
    missing = [str(p) for p in SOURCES.values() if not p.exists()]
    if missing:
        print(f"missing evaluation material: {', '.join(missing)} (../shared is not part of the project)", file=sys.stderr)
        return 2
    for name, path in SOURCES.items():
        measure(name, path, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
