import time

import numpy as np
import pandas as pd
import pytest

from pipelines.build import analyse as analysis
from pipelines.analysis import related
from tests.pipelines.analysis_corpus import make_db, make_incident_rows


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    rows = make_incident_rows(120, seed=5)
    source = rows[10]
    dup = dict(source)
    dup.update(
        incident_id="INC-DUP",
        title=source["title"].replace("degraded", "was degraded"),
        factors=[f.replace("The ", "Again the ", 1) for f in source["factors"]],
        started_at=source["started_at"].replace(year=2026),
    )
    rows.append(dup)
    rows[20]["restricted"] = True
    con = make_db(rows)
    prefix = tmp_path_factory.mktemp("related") / "h.duckdb.b1"
    analysis.run(con, prefix)
    return con, prefix, rows


def test_planted_near_duplicate_comes_first(analysed):
    con, prefix, rows = analysed
    index = related.load_index(str(prefix))
    matches = related.search_incident(index, rows[10]["incident_id"], k=5)
    assert matches[0].incident_id == "INC-DUP"
    assert matches[0].shared_terms  # and it says why
    top = con.execute("SELECT related_id FROM related_incidents WHERE incident_id = ? AND rank = 1", [rows[10]["incident_id"]]).fetchone()
    assert top[0] == "INC-DUP"


def test_precomputed_table_has_ten_ranked_neighbours_and_never_itself(analysed):
    con, _, rows = analysed
    df = con.execute("SELECT * FROM related_incidents").df()
    assert (df.groupby("incident_id").size() == 10).all() and df["incident_id"].nunique() == len(rows)
    assert not (df["incident_id"] == df["related_id"]).any()
    assert set(df["rank"]) == set(range(1, 11))
    for _, g in df.groupby("incident_id"):
        assert list(g.sort_values("rank")["score"]) == sorted(g["score"], reverse=True)


def test_saved_index_gives_the_same_answers_as_the_fitted_one(analysed):
    con, prefix, rows = analysed
    fitted = analysis.related_index(con)
    loaded = related.load_index(str(prefix))
    assert list(loaded.incident_ids) == list(fitted.incident_ids)
    a = related.search_text(fitted, "TLS certificate expired on the gateway", k=5)
    b = related.search_text(loaded, "TLS certificate expired on the gateway", k=5)
    assert [(m.incident_id, round(m.score, 5)) for m in a] == [(m.incident_id, round(m.score, 5)) for m in b]


def test_free_text_finds_the_right_kind_of_incident_and_explains_it(analysed):
    _, prefix, rows = analysed
    index = related.load_index(str(prefix))
    main = {r["incident_id"]: r["main_theme"] for r in rows}
    matches = related.search_text(index, "our certificate expired and TLS handshakes failed", k=5)
    assert len(matches) == 5
    assert all(main[m.incident_id] == "cert_expiry" for m in matches)
    assert all(any(w in " ".join(m.shared_terms) for w in ("certificate", "tls", "handshake", "expired")) for m in matches)
    assert all(m.shared_modes == ["expiry"] for m in matches)  # modes guessed from the best text matches
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_a_named_service_lifts_its_incidents(analysed, monkeypatch):
    _, prefix, rows = analysed
    index = related.load_index(str(prefix))
    query = "connection pool exhausted on ledger"
    lifted = related.search_text(index, query, k=10)
    monkeypatch.setattr(related, "NAMED_SERVICE_WEIGHT", 0.0)
    plain = related.search_text(index, query, k=10)

    def ledger_ranks(matches):
        return [i for i, m in enumerate(matches) if "ledger" in m.shared_services or m.incident_id in ledger]

    ledger = {r["incident_id"] for r in rows if "ledger" in r["services"]}
    assert all(m.shared_services in ([], ["ledger"]) for m in lifted)
    assert sum(ledger_ranks(lifted)[:3]) < sum(ledger_ranks(plain)[:3])


def test_restricted_incidents_are_masked_in_output(analysed):
    from pipelines.read.access import ANONYMOUS
    from pipelines.read.related import search

    con, prefix, rows = analysed
    index = related.load_index(str(prefix))
    secret = rows[20]
    assert secret["restricted"], "the analysis corpus must hold a restricted incident at row 20"
    shown = search(con, index, ANONYMOUS, incident_id=rows[21]["incident_id"], k=len(rows) - 1, hidden="mask")
    ranked = [m.incident_id for m in related.search_incident(index, rows[21]["incident_id"], k=len(rows) - 1)]
    masked = shown[~shown["visible"]]
    assert len(masked) == 1 and int(masked["rank"].iloc[0]) == ranked.index(secret["incident_id"]) + 1
    row = masked.iloc[0]
    assert row["title"] == "restricted incident" and pd.isna(row["incident_id"]) and pd.isna(row["incident_date"])
    assert row["shared_terms"] == [] and row["shared_modes"] == [] and row["shared_services"] == []
    assert secret["incident_id"] not in set(shown["incident_id"])
    assert any(len(t) for t in shown.loc[shown["visible"], "shared_terms"])

    dropped = search(con, index, ANONYMOUS, incident_id=rows[21]["incident_id"], k=5, hidden="drop")
    assert len(dropped) == 5 and dropped["visible"].all()


def test_unknown_incident_raises(analysed):
    _, prefix, _ = analysed
    with pytest.raises(KeyError):
        related.search_incident(related.load_index(str(prefix)), "INC-NOPE")


def test_topk_in_chunks_matches_brute_force(analysed):
    con, _, _ = analysed
    index = analysis.related_index(con)
    r, c, s = related.top_related(index, k=3, chunk=7)
    full = (index.X @ index.X.T).toarray() + related.MODE_WEIGHT * (index.modes @ index.modes.T).toarray()
    np.fill_diagonal(full, -np.inf)
    for row in range(0, index.X.shape[0], 17):
        best = np.sort(full[row])[::-1][:3]
        assert np.allclose(np.sort(s[r == row])[::-1], best, atol=1e-5)


def test_topk_in_worker_processes_is_identical(analysed, monkeypatch):
    """The build's --jobs must not change a neighbour: ranges of rows searched by two forked
    workers (forced, however few incidents) give the one-process answer, row for row."""
    con, _, _ = analysed
    index = analysis.related_index(con)
    serial = related.top_related(index, k=5, chunk=7)
    monkeypatch.setattr(related, "MIN_INCIDENTS_FOR_POOL", 0)
    ran = []
    real = related.fork_map
    monkeypatch.setattr(related, "fork_map", lambda *a, **kw: ran.append(real(*a, **kw)) or ran[-1])
    parallel = related.top_related(index, k=5, chunk=7, jobs=2)
    assert len(ran) == 1 and ran[0] is not None and len(ran[0]) > 2  # the workers answered, in several ranges
    for a, b in zip(serial, parallel):
        assert np.array_equal(a, b)


def test_free_text_query_is_fast_once_loaded(analysed):
    _, prefix, _ = analysed
    index = related.load_index(str(prefix))
    related.search_text(index, "warm up")
    # CPU time of this process, not wall time: a busy machine must not fail it (about 5 ms here).
    t = time.process_time()
    for _ in range(20):
        related.search_text(index, "disk filled with logs after rotation broke", k=10)
    assert (time.process_time() - t) / 20 < 0.1


def test_free_text_lists_at_most_three_shared_modes(analysed):
    _, prefix, _ = analysed
    index = related.load_index(str(prefix))
    for query in ("checkout errors after a deploy, database pool exhausted, dns failures and a certificate expiry",
                  "our certificate expired and TLS handshakes failed"):
        for m in related.search_text(index, query, k=10):
            assert len(m.shared_modes) <= related.MAX_SHARED_MODES


def test_weak_words_are_data_and_never_a_reason_to_match():
    from pipelines.analysis.weak_terms import WEAK_TERMS_FILE, is_weak, weak_words

    words = weak_words()
    assert WEAK_TERMS_FILE.suffix == ".toml" and {"took", "several", "july"} <= words
    assert all(w == w.strip().lower() and " " not in w for w in words)
    assert is_weak("took") and is_weak("took several") and is_weak("xversion")
    assert not is_weak("deploy took") and not is_weak("certificate")
    # Two postmortems that share only "took" (and the month) are not alike.
    docs = pd.DataFrame({
        "incident_id": ["a", "b", "c", "d"],
        "doc": ["The schema migration took four hours in July and locked the orders table",
                "The certificate renewal took a manual step in July and the proxy served an expired certificate",
                "A certificate expired on the proxy and clients saw handshake errors",
                "The orders table lock blocked checkout during a schema migration"],
    })
    index = related.fit_documents(docs)
    assert not any(is_weak(str(t)) for t in index.vocabulary)
    for m in related.search_text(index, "restoring the backup took most of July", k=3):
        assert m.text_score == 0 and m.shared_terms == []
    best = related.search_incident(index, "a", k=3)[0]
    assert best.incident_id == "d" and "took" not in best.shared_terms
