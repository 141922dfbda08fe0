"""Action items of the realstyle fixtures against their hand-checked truth (tests/fixtures/
realstyle/README.md, "Action items"): status words anywhere in an item, owners, due dates, the
item's own ticket, prose commitments, and what is not an action item."""

from __future__ import annotations

import pytest

from pipelines.parsing import action_item_words as words
from pipelines.parsing.action_item_words import load_item_words
from pipelines.parsing.action_items import extract_action_items, is_commitment
from pipelines.parsing.files import parse_file
from tests.pipelines.realstyle import load, truth


def _plain(text: str) -> str:
    return " ".join(text.replace("**", "").split()).casefold()


@pytest.mark.parametrize("name", sorted(truth()))
def test_items_match_the_truth(name: str) -> None:
    inc = load(name)
    expected = truth()[name]["action_items"]
    assert len(inc.action_items) == len(expected)
    for item, want in zip(inc.action_items, expected):
        assert _plain(item.text).startswith(_plain(want["text_start"]))
        got = (item.owner, item.due_date.isoformat() if item.due_date else None, item.status, item.ticket)
        assert got == (want["owner"], want["due"], want["status"], want["ticket"]), want["text_start"]


# Each convention on a line of our own, in the shapes the README lists.
CASES = [
    ("- [ ] Rotate the signing key — @ana — OPS-12 — DONE", ("ana", None, "done", "OPS-12")),  # word beats box
    ("- [x] Add a lag alert — @ben — OPS-13 — in progress", ("ben", None, "in_progress", "OPS-13")),
    ("- [x] Buy a second UPS — not doing, the landlord replaces it", (None, None, "wont_fix", None)),
    ("- Keep a spare key ready — OPS-14 — WON'T FIX, covered by OPS-12", (None, None, "wont_fix", "OPS-14")),
    ("- Document the restore — owner TBD", (None, None, "open", None)),
    ("- Cap retries at five. Owner: Dana Ng. Due: 2024-05-01. OPS-15 — In Progress", ("Dana Ng", "2024-05-01", "in_progress", "OPS-15")),
    ("- Restore the preference, OPS-16 (Zoë Lindqvist) — done", ("Zoë Lindqvist", None, "done", "OPS-16")),
    ("- Move triage to daily, already tracked in OPS-17 (Kofi Mensah)", ("Kofi Mensah", None, "open", None)),
    ("- leak check on the pool, Owner: Omar - in progress", ("Omar", None, "in_progress", None)),
    ("- fix the decline branch -- OPS-18 -- DONE (Inês)", ("Inês", None, "done", "OPS-18")),
    ("- Offline manifest when the app fails #515 — in progress", (None, None, "in_progress", "#515")),
    ("- Crash alert for the app @chidi #514 — won't fix, covered by #516", ("chidi", None, "wont_fix", "#514")),
    ("- Clear the cache on publish @bo #641 (due 2025-09-26), same work as OPS-611 in Jira", ("bo", "2025-09-26", "open", "#641")),
    ("- Refuse a first rollout above 5% @mo https://github.com/acme/ops/issues/513 (due 2024-06-28)", ("mo", "2024-06-28", "open", "#513")),
    ("- Alert on stale loads. T30413 (done)", (None, None, "done", "T30413")),
    ("- Stop appending, replace the partition [INS-221](https://acme.atlassian.net/browse/INS-221)", (None, None, "open", "INS-221")),
    ("- Raise the NAT addresses from 2 to 8. This has been completed.", (None, None, "done", None)),
    ("- We are moving re-hashing off the sign-in path (In progress, estimated completion: 2024-04-30).", (None, "2024-04-30", "in_progress", None)),
    ("- Roll out config region by region (Planned, estimated completion: Q4 2024).", (None, None, "open", None)),
    ("- We have added a CPU headroom alert (Completed).", (None, None, "done", None)),
]


@pytest.mark.parametrize(("line", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_item_conventions(line: str, expected: tuple) -> None:
    (item,) = extract_action_items(line, 1)
    assert (item.owner, item.due_date.isoformat() if item.due_date else None, item.status, item.ticket) == expected


def test_table_status_cells_lozenges_and_bold_markers() -> None:
    body = (
        "| Action Item | Owner | Bug |\n|---|---|---|\n"
        "| Convert with the zone name | tuan | FUL-240 **Done** |\n"
        "| Rebuild after 02:00 | gkim | FUL-243 **WON'T FIX** (superseded by FUL-240) |\n"
        "| Write it down |  | n/a **TODO** |\n\n"
        "| Follow-up | Owner | Status | Ticket |\n|---|---|---|---|\n"
        "| Record an owner | — | Not doing | FUL-332 |\n| Print the packs | Freya | Completed | — |\n"
    )
    got = [(a.owner, a.status, a.ticket) for a in extract_action_items(body, 1)]
    assert got == [
        ("tuan", "done", "FUL-240"), ("gkim", "wont_fix", "FUL-243"), (None, "open", None),
        (None, "wont_fix", "FUL-332"), ("Freya", "done", None),
    ]


def test_prose_commitments_one_per_sentence_and_no_apologies() -> None:
    body = (
        "We have made the fallback automatic and we have tested it in production. We are adding a second "
        "provider so that nothing depends on one vendor. We will shorten the alert window to 5 minutes.\n\n"
        "Again, we are sorry for the disruption. We will do everything we can to learn from this event.\n\n"
        "— The Greengage Fulfilment team"
    )
    got = [(a.text[:22], a.status) for a in extract_action_items(body, 1)]
    assert got == [("We have made the fallb", "done"), ("We are adding a second", "in_progress"), ("We will shorten the al", "open")]


def test_a_letter_without_an_action_section_announces_its_commitments() -> None:
    text = (
        b"# Summary of the Checkout Disruption\n\nOn 3 March checkout failed for an hour. Here is what we are changing. "
        b"We have already split the hot key across sixteen shards. We are adding hot-key alerts. "
        b"We will load-test every promotion. Customers should retry later.\n\nWe are sorry.\n"
    )
    inc = parse_file(text, "letter.md").incidents[0]
    assert [(a.text[:20], a.status) for a in inc.action_items] == [
        ("We have already spli", "done"), ("We are adding hot-ke", "in_progress"), ("We will load-test ev", "open"),
    ]


@pytest.mark.parametrize(
    ("sentence", "commits"),
    [
        ("We will add load shedding at the edge.", True), ("The identity team has added a guard.", True),
        ("Customers can keep 'Stay signed in' switched on.", False), ("We are sorry for the trouble.", False),
        ("Should rule changes be dry-run first?", False), ("Here is what we are changing:", False),
    ],
)
def test_is_commitment(sentence: str, commits: bool) -> None:
    assert is_commitment(sentence) is commits


def test_status_words_are_data_and_a_team_file_moves_them(tmp_path, monkeypatch) -> None:
    default = load_item_words()
    assert default.statuses["not doing"] == "wont_fix" and default.statuses["outstanding"] == "open"
    team = tmp_path / "ours.toml"
    team.write_text('[status]\nwont_fix = ["parked"]\ndone = ["landed"]\n')
    monkeypatch.setenv(words.ITEMS_ENV, str(team))
    words.item_words.cache_clear()
    try:
        got = [a.status for a in extract_action_items("- Add an alert (parked)\n- Split the pool — landed", 1)]
        assert got == ["wont_fix", "done"]
    finally:
        monkeypatch.delenv(words.ITEMS_ENV)
        words.item_words.cache_clear()


def test_a_bad_action_items_file_is_an_error_naming_it(tmp_path) -> None:
    team = tmp_path / "bad.toml"
    team.write_text('[status]\nfinished = ["ok"]\n')
    with pytest.raises(ValueError, match=r"bad\.toml.*\[status\] keys"):
        load_item_words(team)
