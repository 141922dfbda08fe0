"""Precision and recall of the blameless-language rule on the labelled sentence set.

    .venv/bin/python bench/blameless.py            # the two numbers
    .venv/bin/python bench/blameless.py --verbose  # plus every misclassified sentence
    .venv/bin/python bench/blameless.py --set heldout-2026  # only the 2026 held-out file

A sentence counts as flagged when any blameless/* rule fires on it, scanned exactly as a line of
a postmortem would be (quotes and inline code masked first).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.lint.blameless import default_rules, scan_text  # noqa: E402

LABELLED = ROOT / "tests" / "fixtures" / "lint" / "blameless_sentences.tsv"
# Written in 2026 without looking at the rules and committed before its first measurement.
# Never tune against it: once a rule changes because of one of its misses it stops being held out.
HELDOUT_2026 = ROOT / "tests" / "fixtures" / "lint" / "blameless_heldout_2026.tsv"
# Labelled files measured as one block each (no held-out markers inside).
SEPARATE_SETS = {"heldout-2026": HELDOUT_2026}


@dataclass
class Score:
    precision: float
    recall: float
    true_pos: int
    false_pos: int
    false_neg: int
    blameful: int
    neutral: int
    misses: list[tuple[str, str, str]]  # (label, sentence, rules that fired)


HELD_OUT_MARKER = "# --- held-out"
PARTS = ("all", "tuning", "held-out", "held-out-1", "held-out-2", "held-out-3")


def read_labelled(path: Path = LABELLED, part: str = "all") -> list[tuple[str, str]]:
    """Labelled rows of one part of the file.

    "tuning" is everything before the first held-out marker; "held-out-N" is the block after the
    N-th marker; "held-out" is all of them; "all" is the whole file.
    """
    rows = []
    block = 0  # 0 = tuning, 1 = after the first held-out marker, 2 = after the second
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(HELD_OUT_MARKER):
            block += 1
            continue
        if not line.strip() or line.startswith("#"):
            continue
        wanted = {
            "all": True,
            "tuning": block == 0,
            "held-out": block >= 1,
            "held-out-1": block == 1,
            "held-out-2": block == 2,
            "held-out-3": block == 3,
        }[part]
        if not wanted:
            continue
        label, sep, sentence = line.partition("\t")
        if not sep or label not in ("blameful", "neutral"):
            raise ValueError(f"{path}:{n}: expected 'blameful|neutral<TAB>sentence'")
        rows.append((label, sentence))
    return rows


def score(rows: list[tuple[str, str]]) -> Score:
    rules = default_rules()
    tp = fp = fn = 0
    misses = []
    for label, sentence in rows:
        fired = sorted({h.rule for h in scan_text(sentence, rules)})
        flagged = bool(fired)
        if flagged and label == "blameful":
            tp += 1
        elif flagged:
            fp += 1
            misses.append((label, sentence, ", ".join(fired)))
        elif label == "blameful":
            fn += 1
            misses.append((label, sentence, ""))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    blameful = sum(1 for label, _ in rows if label == "blameful")
    return Score(precision, recall, tp, fp, fn, blameful, len(rows) - blameful, misses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="list misclassified sentences")
    parser.add_argument(
        "--set",
        choices=("all", "sentences", *SEPARATE_SETS),
        default="all",
        help="which labelled file to measure: the tuned sentence file, one separate set, or all",
    )
    args = parser.parse_args()
    if args.set in ("all", "sentences"):
        print(f"labelled set: {LABELLED.relative_to(ROOT)}")
        for part in PARTS:
            _report(part, score(read_labelled(part=part)), args.verbose and part != "all")
    for name, path in SEPARATE_SETS.items():
        if args.set in ("all", name):
            print(f"labelled set: {path.relative_to(ROOT)}")
            _report(name, score(read_labelled(path)), args.verbose)
    return 0


def _report(part: str, s: Score, verbose: bool) -> None:
    print(
        f"{part:>10}: precision {s.precision:.3f}  recall {s.recall:.3f}  "
        f"({s.blameful} blameful, {s.neutral} neutral; tp {s.true_pos}, fp {s.false_pos}, fn {s.false_neg})"
    )
    if verbose:
        for label, sentence, fired in s.misses:
            kind = "false positive" if label == "neutral" else "missed"
            print(f"    {kind}: {sentence}" + (f"  [{fired}]" if fired else ""))


if __name__ == "__main__":
    sys.exit(main())
