"""Failure modes per incident: rule scores worked out by hand, hand labels winning, the classifier's agreement."""

import numpy as np
import pytest

from pipelines.analysis import failure_modes as fm
from pipelines.analysis.taxonomy import load_taxonomy

TAX = load_taxonomy()
J = {key: j for j, key in enumerate(TAX.keys)}


def test_a_strong_phrase_scores_strong_weight_times_section_weight():
    # "expired certificate" is a strong expiry phrase (2.0); root cause weighs 1.0, what went poorly 0.6.
    scores, evidence = fm.score_sentences(TAX, [("An expired certificate broke every handshake.", "root_cause")])
    assert scores[J["expiry"]] == pytest.approx(2.0)
    scores, _ = fm.score_sentences(TAX, [("An expired certificate broke every handshake.", "what_went_poorly")])
    assert scores[J["expiry"]] == pytest.approx(1.2)
    assert evidence[0].sentence == "An expired certificate broke every handshake."
    assert evidence[0].phrase == "expired certificate" and evidence[0].strong


def test_a_weak_phrase_scores_weak_weight_and_detection_counts_half():
    # "dashboard" is weak for the alerting gap (1.0), and detection's primary_weight is 0.5; prose weighs 0.8.
    scores, _ = fm.score_sentences(TAX, [("Nobody looked at the dashboard.", "prose")])
    assert scores[J["alerting_gap"]] == pytest.approx(1.0 * 0.8 * 0.5)


def test_a_sentence_that_denies_a_cause_counts_for_nothing():
    scores, evidence = fm.score_sentences(TAX, [("DNS was ruled out within minutes.", "root_cause")])
    assert not scores.any() and evidence == []


def test_scores_add_up_over_sentences_and_members_are_within_half_of_the_top():
    sentences = [
        ("The connection pool was exhausted.", "root_cause"),  # resource exhaustion, strong: 2
        ("The pool was exhausted again after the retry.", "root_cause"),  # strong again: 2 (and retry, weak: 1)
        ("A bad config push doubled the workers.", "trigger"),  # config change, strong: 2
    ]
    scores, _ = fm.score_sentences(TAX, sentences)
    assert scores[J["resource_exhaustion"]] == pytest.approx(4.0)
    assert scores[J["config_change"]] == pytest.approx(2.0)
    assert scores[J["retry_storm"]] == pytest.approx(1.0)
    members = fm.members_of(scores)
    # top 4.0; config change 2.0 is exactly half, so it is a member; retries at 1.0 are not.
    assert set(members) == {J["resource_exhaustion"], J["config_change"]}
    assert members[J["resource_exhaustion"]] == pytest.approx(4 / 6) and sum(members.values()) == pytest.approx(1.0)


def test_tags_are_evidence_at_half_weight_never_labels():
    result = fm.assign_modes(TAX, ["A"], [[("dns, checkout", "tags")]], [[]])
    inc = result.incidents[0]
    assert inc.source == "rules" and inc.scores == {J["dns"]: pytest.approx(2.0 * 0.5)}


def test_only_strong_phrases_count_in_tags():
    """A status page's tags name products ("Dashboard", "API", "Access"): a weak phrase there once
    made a repeat chain of 71 'monitoring gap' incidents out of the word "Dashboard"."""
    result = fm.assign_modes(TAX, ["A", "B"], [[("Dashboard, API, Access, impact:minor", "tags")],
                                               [("Dashboard, DNS", "tags")]], [[], []])
    a, b = result.incidents
    assert a.scores == {} and a.weights == {}
    assert b.scores == {J["dns"]: pytest.approx(2.0 * 0.5)}
    # The same words in a sentence of the write-up still count, weakly.
    prose = fm.assign_modes(TAX, ["C"], [[("The dashboard showed nothing for an hour.", "prose")]], [[]])
    assert J["alerting_gap"] in prose.incidents[0].scores


def test_hand_labels_win_through_aliases_and_unknown_labels_are_counted():
    sentences = [[("The TLS certificate expired overnight.", "root_cause")]] * 2
    result = fm.assign_modes(TAX, ["A", "B"], sentences, [["DNS", "made-up label"], []])
    a, b = result.incidents
    assert a.source == "hand" and a.weights == {J["dns"]: 1.0}
    assert b.source == "rules" and b.top == J["expiry"]
    assert result.unknown_labels == {"made-up label": 1} and result.hand_labelled == 1
    rows = fm.mode_rows(TAX, result).to_pandas()
    assert rows[rows.incident_id == "A"][["mode", "weight", "source"]].values.tolist() == [["dns", 1.0, "hand"]]
    assert rows[rows.incident_id == "B"].iloc[0]["evidence"] == ["The TLS certificate expired overnight."]


def test_an_incident_with_nothing_matched_has_no_mode():
    result = fm.assign_modes(TAX, ["A"], [[("We had lunch.", "prose")]])
    assert result.incidents[0].weights == {} and result.incidents[0].top is None
    assert fm.mode_rows(TAX, result).num_rows == 0
    assert not fm.mode_vectors(TAX, result).any()


def test_mode_vectors_are_unit_rows_of_square_root_scores():
    result = fm.assign_modes(TAX, ["A"], [[("The pool was exhausted.", "root_cause"), ("A bad config push.", "root_cause")]])
    v = fm.mode_vectors(TAX, result)[0]
    assert np.linalg.norm(v) == pytest.approx(1.0)
    assert v[J["resource_exhaustion"]] == pytest.approx(v[J["config_change"]])


# ------------------------------------------------------------------ the classifier on hand labels

CERT = ["The TLS certificate expired on {}.", "Clients rejected the expired cert of {}."]
POOL = ["The connection pool of {} was exhausted.", "{} ran out of database connections."]
# Hand-labelled "vendor" incidents whose text the rules read as something else: a team's own
# coding convention the rules cannot know, which a classifier can learn from their labels.
VENDOR = ["Acme Pay returned errors for {} checkouts.", "Acme Pay timed out on {} and the pool was exhausted."]


def _labelled(n_each: int, families) -> tuple[list[list[tuple[str, str]]], list[list[str]]]:
    sentences, labels = [], []
    for k in range(n_each):
        for templates, label in families:
            sentences.append([(templates[k % 2].format(f"svc{k}"), "root_cause")])
            labels.append([label])
    return sentences, labels


def test_the_classifier_is_used_only_when_it_agrees_better_than_the_rules():
    families = [(CERT, "cert expiry"), (POOL, "resource exhaustion"), (VENDOR, "vendor")]
    sentences, labels = _labelled(10, families)
    ids = [f"I{i}" for i in range(len(sentences))]
    # Two unlabelled incidents written the vendor way.
    sentences += [[("Acme Pay errors hit svc98 checkouts.", "root_cause")], [("Acme Pay timed out on svc99.", "root_cause")]]
    ids += ["U1", "U2"]
    labels += [[], []]
    result = fm.assign_modes(TAX, ids, sentences, labels)
    c = result.classifier
    assert c is not None and c.labelled == 30 and c.folds == "leave-one-out"
    # The rules never say "vendor" (third party), so they agree on the 20 others only.
    assert c.rules_accuracy == pytest.approx(20 / 30)
    assert c.model_accuracy > c.rules_accuracy and c.model_kappa > c.rules_kappa and c.used == "model"
    u1, u2 = result.incidents[-2:]
    assert u1.source == "model" and u1.top == J["third_party"]
    assert u2.source == "model" and u2.top == J["third_party"]
    info = result.info()
    assert info["classifier"]["used"] == "model" and info["by_source"]["hand"] == 30 and info["by_source"]["model"] == 2


def test_the_rules_stay_when_the_classifier_does_not_beat_them():
    families = [(CERT, "cert expiry"), (POOL, "resource exhaustion")]
    sentences, labels = _labelled(11, families)
    ids = [f"I{i}" for i in range(len(sentences))] + ["U"]
    sentences.append([("The certificate expired on svc77.", "root_cause")])
    labels.append([])
    result = fm.assign_modes(TAX, ids, sentences, labels)
    c = result.classifier
    assert c.rules_accuracy == pytest.approx(1.0) and c.rules_kappa == pytest.approx(1.0)
    assert c.used == "rules" and result.incidents[-1].source == "rules"


def test_no_classifier_below_twenty_hand_labels():
    sentences, labels = _labelled(9, [(CERT, "cert expiry"), (POOL, "resource exhaustion")])
    result = fm.assign_modes(TAX, [f"I{i}" for i in range(18)], sentences, labels)
    assert result.hand_labelled == 18 and result.classifier is None


def _brute_force_hits(sentence: str):
    """Every mode's regexes on every sentence: what the word-start index must reproduce."""
    low = sentence.lower()
    if TAX.negation.search(low):
        return ()
    out = []
    for j, m in enumerate(TAX.modes):
        hit = m.strong.search(low) if m.strong else None
        if hit:
            out.append((j, TAX.strong_weight, hit.group(0)))
            continue
        hit = m.weak.search(low) if m.weak else None
        if hit:
            out.append((j, TAX.weak_weight, hit.group(0)))
    return tuple(out)


def test_the_word_start_index_finds_exactly_what_searching_every_mode_finds():
    from pathlib import Path

    from pipelines.parsing.factors import split_sentences
    from pipelines.parsing.files import parse_file

    root = Path(__file__).resolve().parents[1] / "fixtures"
    sentences = []
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".md", ".jsonl", ".csv") and p.is_file()):
        try:
            parsed = parse_file(path.read_bytes(), path.name)
        except Exception:  # noqa: BLE001 - some fixtures are broken on purpose
            continue
        for inc in parsed.incidents:
            for section in inc.sections:
                sentences += split_sentences(" ".join(section.body.split()))
    sentences = list(dict.fromkeys(sentences))
    assert len(sentences) > 800
    fired = 0
    for s in sentences:
        expected = _brute_force_hits(s)
        assert fm.sentence_hits(TAX, s) == expected, s
        fired += bool(expected)
    assert fired > 200  # the comparison covers many matches, not only misses
    assert len(TAX.anywhere) <= 2  # nearly every phrase is indexed by a word it needs
