import pytest

from pipelines.analysis.categories import CATEGORIES, RULES, category_scores, classify, matched_rules


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("The TLS certificate on the edge proxy expired overnight.", "security/credentials"),
        ("An API key was rotated but the old secret stayed in the job config.", "security/credentials"),
        ("A deploy of the new billing release went out to every region at once.", "change management"),
        ("A configuration push contained an invalid routing rule.", "change management"),
        ("The connection pool was exhausted during the evening traffic spike.", "capacity"),
        ("The disk was full because logs were never rotated away.", "capacity"),
        ("Our third-party payment processor returned errors for an hour.", "dependencies"),
        ("The DNS provider stopped answering for our zone.", "dependencies"),
        ("No alert fired when the queue backed up, so detection took two hours.", "monitoring/detection"),
        ("The runbook for failover was out of date and missed a step.", "process/runbooks"),
        ("It was unclear which team owned the cron job, so nobody acted.", "ownership/communication"),
        ("A power supply failed in one rack of the datacenter.", "hardware/infrastructure"),
        ("A race condition in the cache invalidation code served stale prices.", "software defect"),
        ("The coffee machine in the office flooded the kitchen.", "other"),
        ("", "other"),
    ],
)
def test_hand_written_factors(sentence, expected):
    assert classify(sentence) == expected


def test_every_rule_names_a_known_category_and_compiles():
    assert {cat for cat, _p, _w in RULES} <= set(CATEGORIES) - {"other"}
    for cat in set(CATEGORIES) - {"other"}:
        assert any(c == cat for c, _p, _w in RULES), cat


def test_explanations_show_the_words_that_fired():
    rules = matched_rules("A deploy exhausted the connection pool")
    cats = {c for c, _ in rules}
    assert {"change management", "capacity"} <= cats
    assert any(word.lower() == "deploy" for c, word in rules if c == "change management")
    scores = category_scores("A deploy exhausted the connection pool")
    assert scores["capacity"] > 0 and scores["change management"] > 0


def test_ties_go_to_the_category_listed_first():
    # "certificate" (security, 2) and "deploy" (change, 2): security is listed first.
    assert classify("certificate deploy") == "security/credentials"
