"""tfidf_matrix must give exactly scikit-learn's TF-IDF (vocabulary, idf, matrix), only faster."""

import numpy as np
import pytest

from pipelines.analysis import tfidf_matrix
from pipelines.analysis.textfeatures import make_vectorizer
from pipelines.synthetic.generate import generate


def _texts(tmp_path, count=120):
    generate(tmp_path / "c", count, 5)
    texts = [p.read_text() for p in sorted((tmp_path / "c" / "postmortems").rglob("*.md"))]
    # Shapes the normalizer rewrites, an empty document and one of stop words only.
    return texts + ["db-07.prod.example.com failed over at 03:12 after v1.2.3 (JIRA-4412)", "", "the and of"]


def _sklearn(texts, ngram_range, min_df, max_df, step):
    v = make_vectorizer(ngram_range=ngram_range, min_df=min_df, max_df=max_df)
    if step > 1:
        v.fit(texts[::step])
        return v, v.transform(texts)
    return v, v.fit_transform(texts)


@pytest.mark.parametrize(
    "ngram_range, min_df, max_df, step",
    [((1, 2), 2, 0.9, 1), ((1, 2), 2, 0.9, 3), ((1, 2), 1, 1.0, 1), ((1, 1), 2, 0.5, 2)],
)
def test_same_matrix_as_scikit_learn(tmp_path, ngram_range, min_df, max_df, step):
    texts = _texts(tmp_path)
    vocabulary, idf, X = tfidf_matrix.fit_transform(texts, ngram_range, min_df, max_df, sample_step=step)
    v, Y = _sklearn(texts, ngram_range, min_df, max_df, step)
    assert vocabulary == {t: int(i) for t, i in v.vocabulary_.items()}
    assert idf.dtype == np.float32 and np.array_equal(idf, v.idf_)
    Y = Y.tocsr()
    Y.sort_indices()
    assert X.dtype == np.float32 and X.shape == Y.shape
    assert np.array_equal(X.indptr, Y.indptr) and np.array_equal(X.indices, Y.indices)
    assert np.allclose(X.data, Y.data, rtol=0, atol=1e-7)


def test_no_term_left_raises_like_scikit_learn():
    with pytest.raises(ValueError):
        tfidf_matrix.fit_transform(["the and of", "", "of the"], (1, 2), 1, 1.0)
    with pytest.raises(ValueError):
        tfidf_matrix.fit_transform(["disk full", "dns down"], (1, 2), 2, 1.0)  # nothing in two documents
