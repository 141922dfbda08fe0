"""The failure-mode taxonomy file and its loader: the bundled file is complete, a team's file extends it."""

from pathlib import Path

import pytest

from pipelines.analysis.taxonomy import DEFAULT_TAXONOMY, TaxonomyError, load_taxonomy


def test_bundled_taxonomy_has_named_described_cited_modes_in_classes():
    tax = load_taxonomy()
    assert 20 <= len(tax.modes) <= 32 and 8 <= len(tax.classes) <= 12
    assert len(set(tax.keys)) == len(tax.keys)
    for m in tax.modes:
        assert m.name and m.description and m.cls in tax.classes, m.key
        assert m.citations and set(m.citations) <= set(tax.citations), m.key
        assert m.strong is not None, m.key
    # Detection and process gaps lead only when nothing technical is named.
    assert tax.classes["detection"].primary_weight < 1 and tax.classes["change"].primary_weight == 1
    assert "failure_modes" in DEFAULT_TAXONOMY.read_text()[:3000]  # documented at the top


@pytest.mark.parametrize(
    "label, mode",
    [("Cert Expiry", "expiry"), ("certificate-expiry", "expiry"), ("DNS", "dns"), ("config_change", "config_change"),
     ("Human error", "manual_operation"), ("retry storm", "retry_storm"), ("no such thing", None)],
)
def test_hand_labels_map_through_aliases(label, mode):
    assert load_taxonomy().mode_for_label(label) == mode


def test_phrases_match_from_a_word_start_in_lower_case():
    tax = load_taxonomy()
    config = tax.mode("config_change")
    assert config.strong.search("a misconfigured load balancer")
    assert not config.strong.search("remisconfigured")  # anchored at a word start
    assert tax.negation.search("dns was ruled out early")


@pytest.mark.parametrize(
    "sentence",
    [
        "[resolved] This incident has been resolved.",
        "The incident was resolved at 14:00 UTC and time to resolution was two hours.",
        "Service has been restored and we are monitoring.",
        "We will continue to monitor for any further issues.",
        "We are continuing to monitor the results.",
        # product names on a status page: GitHub's "Pull Requests" and "API Requests"
        "We are investigating reports of degraded performance for Pull Requests and API Requests.",
    ],
)
def test_status_update_wording_is_no_evidence_of_a_failure_mode(sentence):
    """How an incident ended (resolved, restored, monitoring) says nothing about how it failed:
    on a status-page corpus "resolv" once put 1,052 of 1,472 incidents in DNS resolution failure."""
    from pipelines.analysis.failure_modes import score_one

    assert score_one(load_taxonomy(), sentence) == ()


@pytest.mark.parametrize(
    "sentence, mode",
    [
        ("Pods failed to resolve the database hostname.", "dns"),
        ("Resolution errors for internal names spread across the fleet.", "dns"),
        ("We restored the database from a snapshot taken at 02:00.", "data_loss"),
        ("Nobody was monitoring the queue depth.", "alerting_gap"),
        ("The disk monitor was never wired to a pager.", "alerting_gap"),
        ("A pull request merged on Friday removed the retry timeout.", "code_deploy"),
        ("The pull request that shipped the parser had no tests for empty input.", "code_deploy"),
    ],
)
def test_the_narrowed_phrases_still_find_their_mode(sentence, mode):
    from pipelines.analysis.failure_modes import score_one

    tax = load_taxonomy()
    assert mode in {tax.modes[j].key for j, _, _ in score_one(tax, sentence)}


def test_a_team_file_extends_overrides_adds_and_disables(tmp_path: Path):
    team = tmp_path / "team.toml"
    team.write_text(
        """
disable = ["attack_abuse"]

[scoring]
negation = ["was a red herring"]

[[modes]]
key = "third_party"
name = "Vendor or upstream outage"
aliases = ["psp outage"]
strong = ["acquirer"]

[[modes]]
key = "flag_service"
class = "change"
name = "Feature-flag service failure"
description = "The flag service itself failed."
strong = ["flag service (?:was )?down"]
"""
    )
    base = load_taxonomy()
    tax = load_taxonomy(team)
    assert "attack_abuse" not in tax.keys and "flag_service" in tax.keys
    assert len(tax.keys) == len(base.keys)  # one removed, one added
    vendor = tax.mode("third_party")
    assert vendor.name == "Vendor or upstream outage"
    assert vendor.strong.search("the acquirer timed out") and vendor.strong.search("a third-party api")  # appended, kept
    assert tax.mode_for_label("PSP outage") == "third_party" and tax.mode_for_label("vendor") == "third_party"
    assert tax.negation.search("the cache was a red herring") and tax.negation.search("ruled out")
    assert tax.mode("flag_service").strong.search("the flag service was down")


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[modes]]\nkey = 'x'\nclass = 'change'\nname = 'X'\n", "needs description"),
        ("[[modes]]\nkey = 'x'\nclass = 'nope'\nname = 'X'\ndescription = 'd'\nstrong = ['a']\n", "unknown class"),
        ("[[modes]]\nkey = 'dns'\nstrong = ['(unclosed']\n", "bad regular expression"),
        ("[[modes]]\nkey = 'x'\nclass = 'change'\nname = 'X'\ndescription = 'd'\naliases = ['dns']\nstrong = ['a']\n", "already names mode"),
        ("disable = ['no_such_mode']\n", "do not exist"),
        ("[[modes]]\nkey = 'dns'\nstrong = ['x']\ndisable = ['attack_abuse']\n", "unknown field(s) disable"),
        ("this is not toml = = \n", "not valid TOML"),
    ],
)
def test_a_broken_team_file_fails_naming_the_file_and_the_problem(tmp_path: Path, text: str, message: str):
    team = tmp_path / "broken.toml"
    team.write_text(text)
    with pytest.raises(TaxonomyError) as e:
        load_taxonomy(team)
    assert message in str(e.value) and str(team) in str(e.value)


def test_a_missing_team_file_is_an_error():
    with pytest.raises(TaxonomyError, match=r"/nonexistent/team.toml: cannot read the taxonomy \(No such file or directory\)"):
        load_taxonomy(Path("/nonexistent/team.toml"))
