"""Failure-mode sentences scored in worker processes give exactly what the serial path gives."""

from pathlib import Path

import numpy as np

from pipelines.analysis import failure_modes as fm
from pipelines.analysis import sentence_pool
from pipelines.analysis.taxonomy import load_taxonomy
from pipelines.parsing.factors import split_sentences
from pipelines.parsing.files import parse_file

TAX = load_taxonomy()
WHERE = ("root_cause", "trigger", "what_went_poorly", "prose", "tags")


def _fixture_incidents() -> tuple[list[str], list[list[tuple[str, str]]]]:
    """Our fixtures' section sentences, five to an incident, `where` cycling through every kind;
    a sentence repeated across incidents too (the serial path caches, the table must agree)."""
    root = Path(__file__).resolve().parents[1] / "fixtures"
    sentences: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".md", ".jsonl", ".csv") and p.is_file()):
        try:
            parsed = parse_file(path.read_bytes(), path.name)
        except Exception:  # noqa: BLE001, S112 - some fixtures are broken on purpose
            continue
        for inc in parsed.incidents:
            for section in inc.sections:
                sentences += split_sentences(" ".join(section.body.split()))
    incidents = [
        [(s, WHERE[(k + i) % len(WHERE)]) for i, s in enumerate(sentences[k : k + 5])] for k in range(0, len(sentences), 5)
    ]
    return [f"I{k:05d}" for k in range(len(incidents))], incidents


def test_parallel_scoring_is_identical_to_serial(monkeypatch):
    monkeypatch.setattr(sentence_pool, "MIN_CHUNK", 100)  # several chunks, so both workers score
    ids, sentences = _fixture_incidents()
    distinct = {s for sents in sentences for s, _ in sents}
    assert len(distinct) > 800 and len(distinct) < sum(map(len, sentences))  # repeats are covered
    fm.clear_caches()
    serial = fm.assign_modes(TAX, ids, sentences)
    hits = sentence_pool.hits_table(TAX, (s for sents in sentences for s, _ in sents), jobs=2, min_sentences=0)
    assert hits is not None and set(hits) == distinct
    assert sum(bool(h) for h in hits.values()) > 200  # many sentences fire: not a comparison of empties
    parallel = fm.assign_modes(TAX, ids, sentences, hits=hits)
    assert np.array_equal(serial.rule_scores, parallel.rule_scores)
    assert serial.incidents == parallel.incidents  # scores, weights, evidence (sentence, phrase, order)
    assert serial.sentence_modes == parallel.sentence_modes
    assert fm.mode_rows(TAX, serial).equals(fm.mode_rows(TAX, parallel))


def test_small_inputs_and_one_job_stay_in_this_process():
    sentences = [f"The certificate on host{k} expired." for k in range(50)]
    assert sentence_pool.hits_table(TAX, sentences, jobs=2) is None  # below MIN_SENTENCES_FOR_POOL
    assert sentence_pool.hits_table(TAX, sentences, jobs=1, min_sentences=0) is None


def test_chunks_cover_every_sentence_once_in_order():
    items = [str(k) for k in range(25_001)]
    chunks = sentence_pool._chunks(items, jobs=2)
    assert [s for c in chunks for s in c] == items
    assert all(sentence_pool.MIN_CHUNK <= len(c) <= sentence_pool.MAX_CHUNK for c in chunks[:-1])
