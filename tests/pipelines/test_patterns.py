"""Recurring patterns inside a failure mode: phrase labels from member sentences, the Unclustered
bucket, restricted text never naming a pattern, and ids that survive a rebuild."""

from pipelines.analysis import patterns as pt

EXPIRY = "Certificate or credential expiry"


def _member(iid: str, sentence: str, phrase: str, representable: bool = True) -> pt.Member:
    return pt.Member(iid, [(sentence, phrase, True)], representable)


def _renewal(n: int, start: int = 0) -> list[pt.Member]:
    return [_member(f"R{i}", f"The renewal job for cert {i} crashed on Sunday.", "renewal job") for i in range(start, start + n)]


def test_window_marks_the_fired_words_and_keeps_hosts_out():
    win = pt.window("Clients on edge-7.example.com saw the expired certificate at 03:10.", "expired certificate")
    assert win == ("on", "", "saw", "the", "*expired", "*certificate", "at", "")
    assert pt.window("A split-horizon DNS view broke.", "dns")[1:4] == ("split", "~horizon", "*dns")
    # "saw the expired certificate" holds a verb that did not fire; the fired words alone are a candidate.
    assert pt.phrases(win, frozenset({"saw"})) == {"expired certificate"}
    assert pt.phrases(("the", "*renewal", "*job", "crashed")) == {"renewal job"}


def test_a_label_ends_with_what_fired_and_holds_no_other_verb():
    win = ("nobody", "saw", "the", "*quota", "agreed", "for", "instance")
    # "quota agreed" starts a clause; "saw the quota" holds a verb that did not fire.
    assert pt.phrases(win, frozenset({"saw"})) == set()
    assert pt.phrases(("new", "instance", "*quota"), frozenset()) == {"new instance quota", "instance quota"}


def test_a_phrase_that_restates_the_mode_name_is_never_a_label():
    stems = pt.name_stems(EXPIRY, "expiry")
    assert pt.is_tautology("certificate expiry", stems) and pt.is_tautology("expired credentials", stems)
    assert not pt.is_tautology("renewal job", stems)
    members = [_member(f"T{i}", "The certificate expiry went unnoticed.", "certificate expiry") for i in range(5)]
    found, left = pt.mode_patterns("expiry", members, stems)
    assert found == [] and left == [0, 1, 2, 3, 4]  # no specific pattern: all in the Unclustered bucket


def test_greedy_cover_labels_unclustered_and_examples():
    members = _renewal(4) + [
        _member("O1", "An outage happened to the leaf certificate.", "certificate"),
        _member("O2", "Something else entirely about the certificate.", "certificate"),
    ]
    result = pt.find_patterns({"expiry": members}, {"expiry": EXPIRY})
    (p,) = result.patterns
    assert (p.pattern_id, p.mode, p.label, p.incidents) == (1, "expiry", "Renewal job", ["R0", "R1", "R2", "R3"])
    assert p.examples == ["The renewal job for cert 0 crashed on Sunday.", "The renewal job for cert 1 crashed on Sunday."]
    assert result.unclustered == {"expiry": ["O1", "O2"]}
    assert result.pattern_of()[("R2", "expiry")] == 1


def test_labels_never_come_from_restricted_text_nor_name_people_or_services():
    secret = [_member(f"S{i}", "The vault token for payroll leaked.", "token", representable=False) for i in range(3)]
    people = [_member(f"P{i}", "Nadia rotation failed again.", "rotation") for i in range(3)]
    services = [_member(f"V{i}", "The checkout-api certificate expired.", "certificate expired") for i in range(3)]
    result = pt.find_patterns(
        {"expiry": secret + people + services + _renewal(2)}, {"expiry": EXPIRY},
        person_words=frozenset({"nadia"}), service_names=["checkout-api"],
    )
    assert [p.label for p in result.patterns] == ["Renewal job"]
    assert set(result.unclustered["expiry"]) == {"S0", "S1", "S2", "P0", "P1", "P2", "V0", "V1", "V2"}
    # Restricted members still join a pattern a readable member named, and count; their sentences are no example.
    mixed = _renewal(2) + [_member("S9", "The renewal job for the secret vault crashed.", "renewal job", representable=False)]
    (p,) = pt.find_patterns({"expiry": mixed}, {"expiry": EXPIRY}).patterns
    assert "S9" in p.incidents and all("vault" not in e for e in p.examples)


def test_a_service_is_masked_however_its_words_are_joined():
    """A status page writes its "pull-requests" component as "Pull Requests": still a service,
    never a pattern's name."""
    written = [_member(f"W{i}", "Pull Requests returned errors after the deploy.", "deploy") for i in range(3)]
    result = pt.find_patterns({"code_deploy": written}, {"code_deploy": "Code change shipped a bug"},
                              service_names=["pull-requests"])
    assert all("pull" not in p.label.lower() for p in result.patterns)
    mask = pt.service_mask(["pull-requests", "Git Operations"])
    assert mask.sub("X", "pull_requests and git-operations and PULL  REQUESTS") == "X and X and X"
    assert mask.sub("X", "pull requestsx") == "pull requestsx"  # whole names only


def test_status_update_verbs_never_name_a_pattern():
    """'Investigating connectivity' named a GitHub status pattern: how a page reports, not a failure."""
    from pipelines.analysis.taxonomy import load_taxonomy

    members = [_member(f"N{i}", f"We are investigating connectivity issues in region {i}.", "connectivity") for i in range(3)]
    plain = pt.find_patterns({"network": members}, {"network": "Network failure"})
    assert [p.label for p in plain.patterns] == ["Investigating connectivity"]  # what the taxonomy's list prevents
    found = pt.find_patterns({"network": members}, {"network": "Network failure"}, avoid=load_taxonomy().label_avoid)
    assert not any("investigating" in p.label.lower() for p in found.patterns)


def test_labels_are_shown_as_members_wrote_them():
    members = [_member(f"D{i}", "An internal DNS record pointed at the old balancer.", "dns") for i in range(3)]
    (p,) = pt.find_patterns({"dns": members}, {"dns": "DNS resolution failure"}).patterns
    assert p.label == "Internal DNS" and p.phrase == "internal dns"
    assert pt.sentence_pattern([(p.pattern_id, p.phrase)], "An internal-DNS record was stale.") == p.pattern_id


def test_ids_survive_a_rebuild_by_label_or_by_members():
    first = pt.find_patterns({"expiry": _renewal(4)}, {"expiry": EXPIRY})
    state = first.state()
    # Same label, more members: same id.
    again = pt.find_patterns({"expiry": _renewal(6)}, {"expiry": EXPIRY}, previous=state)
    assert [p.pattern_id for p in again.patterns] == [1]
    # A new pattern gets an id above every id used before.
    pool = [_member(f"C{i}", "The shared connection pool was exhausted again.", "connection pool") for i in range(3)]
    more = pt.find_patterns(
        {"expiry": _renewal(4), "resource_exhaustion": pool},
        {"expiry": EXPIRY, "resource_exhaustion": "Resource or quota exhaustion"}, previous=state,
    )
    assert {(p.mode, p.pattern_id) for p in more.patterns} == {("expiry", 1), ("resource_exhaustion", 2)}
    # Renamed (the label changed) but mostly the same incidents: the id stays, matched by members.
    renamed = [pt.Member(m.incident_id, [(f"The cron renewal for cert {i} crashed.", "cron renewal", True)], True)
               for i, m in enumerate(_renewal(4))]
    (p,) = pt.find_patterns({"expiry": renamed}, {"expiry": EXPIRY}, previous=state).patterns
    assert p.label == "Cron renewal" and p.pattern_id == 1


def test_sentence_pattern_finds_the_label_in_a_factor():
    assert pt.sentence_pattern([(3, "renewal job")], "The Renewal-job stopped.") == 3
    assert pt.sentence_pattern([(3, "renewal job")], "Nothing renewed.") == pt.UNCLUSTERED


def test_a_company_or_product_name_is_not_a_pattern():
    members = [_member(f"N{i}", f"Traffic to Stack Overflow overloaded the frontends {i}.", "overloaded") for i in range(3)]
    result = pt.find_patterns({"overload": members}, {"overload": "Traffic overload"})
    assert all("Stack" not in p.label for p in result.patterns)
    assert pt._is_name("stack overflow", members) and not pt._is_name("stack overflow", [_member("X", "A stack overflow in the parser.", "overflow")])
