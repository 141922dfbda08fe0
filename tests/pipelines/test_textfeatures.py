import numpy as np
import pytest

from pipelines.analysis.textfeatures import DOMAIN_STOP_WORDS, make_text_pipeline, normalize_incident_text


@pytest.mark.parametrize(
    "text, placeholder",
    [
        ("rolled back to v2.14.3 after the upgrade", "xversion"),
        ("db-07.prod.example.com stopped answering", "xhost"),
        ("web-03 ran out of memory", "xhost"),
        ("traffic from 10.2.33.4:8443 was dropped", "xip"),
        ("see JIRA-4412 and INC-2024-031", "xticket"),
        ("the failover took 45 minutes", "xduration"),
        ("retries went up by 12%", "xpercent"),
        ("paged at 03:12 UTC", "xclock"),
        ("commit 3f9a2bc1 introduced it", "xhex"),
    ],
)
def test_normalization_replaces_incident_specific_tokens(text, placeholder):
    assert placeholder in normalize_incident_text(text).split()


def test_normalization_makes_different_hosts_and_versions_look_alike():
    a = normalize_incident_text("db-07.prod.example.com failed over at 03:12 after v1.2.3")
    b = normalize_incident_text("db-02.prod.example.com failed over at 11:40 after v1.9.0")
    assert a.split() == b.split()


def test_domain_stop_words_are_dropped_and_placeholders_for_noise_too():
    pipe = make_text_pipeline(min_df=1, max_df=1.0)
    pipe.fit(["The incident caused an outage for customers for 30 minutes", "certificate expired on the proxy"])
    vocab = set(pipe.named_steps["tfidf"].get_feature_names_out())
    assert {"incident", "outage", "customers", "minutes", "xduration"}.isdisjoint(vocab)
    assert "certificate expired" in vocab  # word bigrams
    assert {"incident", "outage", "customers"} <= DOMAIN_STOP_WORDS


def test_rows_are_l2_normalized_with_and_without_lsa():
    docs = ["connection pool exhausted after deploy", "pool exhausted by a retry storm", "tls certificate expired on the edge proxy",
            "certificate renewal failed", "disk filled with logs on the database", "log rotation broke and the disk filled"]
    kw = {"min_df": 1, "max_df": 1.0}
    for pipe in (make_text_pipeline(**kw), make_text_pipeline(svd_components=3, **kw), make_text_pipeline(char_ngrams=True, **kw)):
        out = pipe.fit_transform(docs)
        dense = out.toarray() if hasattr(out, "toarray") else out
        assert np.allclose(np.linalg.norm(dense, axis=1), 1.0, atol=1e-5)


def test_placeholders_cover_every_rewrite():
    import re

    from pipelines.analysis import textfeatures as tf

    written = set(re.findall(r"\bx[a-z]+\b", " ".join(r for _p, r in tf._CASE_SENSITIVE_RULES + tf._RULES)))
    assert written <= tf.PLACEHOLDERS


def test_fast_tokenizer_matches_the_regex_pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipelines.analysis.textfeatures import STOP_WORDS, TOKEN_PATTERN, analyze

    text = "Deploy v2.3.1 to db-07.prod.example.com failed; JIRA-1234 (10.0.3.4:8080) timed-out after 45s, the pool was exhausted."
    slow = TfidfVectorizer(preprocessor=normalize_incident_text, token_pattern=TOKEN_PATTERN, stop_words=STOP_WORDS, ngram_range=(1, 2))
    assert analyze(text) == slow.build_analyzer()(text)
