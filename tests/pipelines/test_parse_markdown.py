"""Golden tests: one fixture per template style, asserting every extracted field."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from pipelines.model import Incident
from pipelines.parsing.files import parse_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "postmortems"


def load(name: str) -> Incident:
    parsed = parse_file((FIXTURES / name).read_bytes(), f"postmortems/{name}")
    assert parsed.errors == []
    assert len(parsed.incidents) == 1
    return parsed.incidents[0]


def kinds(inc: Incident) -> list[tuple[str, str]]:
    return [(s.kind, s.heading) for s in inc.sections]


def events(inc: Incident) -> list[tuple[datetime | None, str, str]]:
    return [(e.at, e.raw_time, e.text) for e in inc.timeline]


def items(inc: Incident) -> list[tuple]:
    return [(a.text, a.owner, a.due_date, a.status, a.priority, a.kind, a.ticket) for a in inc.action_items]


def factors(inc: Incident) -> list[tuple[str, str]]:
    return [(f.source_section, f.text) for f in inc.factors]


def times(inc: Incident) -> tuple:
    return (inc.started_at, inc.detected_at, inc.mitigated_at, inc.resolved_at)


def test_google_sre_template() -> None:
    inc = load("google_sre.md")
    assert inc.incident_id == "PM-2024-017"
    assert inc.title == "Checkout latency spike after cache cluster resize"
    assert (inc.date, inc.severity, inc.severity_raw) == (date(2024, 3, 5), "SEV1", "P1")
    assert inc.services == ["checkout-api", "cart-cache"]
    assert (inc.team, inc.status, inc.restricted) == ("Payments", "final", False)
    assert inc.tags == ["cache", "capacity"]
    assert inc.summary == "Checkout requests timed out for 48 minutes after the cart cache cluster was resized."
    assert kinds(inc) == [
        ("summary", "Summary"),
        ("impact", "Impact"),
        ("root_cause", "Root Causes"),
        ("trigger", "Trigger"),
        ("resolution", "Resolution"),
        ("detection", "Detection"),
        ("action_items", "Action Items"),
        ("lessons_learned", "Lessons Learned"),
        ("what_went_well", "What went well"),
        ("what_went_poorly", "What went wrong"),
        ("where_we_got_lucky", "Where we got lucky"),
        ("timeline", "Timeline"),
    ]
    # "All times PST" applies to the time-only lines; the date line carries the day.
    assert events(inc) == [
        (datetime(2024, 3, 5, 22, 0), "14:00", "Cache resize started"),
        (datetime(2024, 3, 5, 22, 2), "14:02", "Outage begins: checkout requests time out"),
        (datetime(2024, 3, 5, 22, 4), "14:04", "Alert fired and paged the on-call engineer"),
        (datetime(2024, 3, 5, 22, 31), "14:31", "Mitigated: drained nodes restored"),
        (datetime(2024, 3, 5, 22, 50), "14:50", "Error rate back to normal, incident resolved"),
    ]
    assert [e.line for e in inc.timeline] == [70, 71, 72, 73, 74]
    assert times(inc) == (
        datetime(2024, 3, 5, 22, 2),
        datetime(2024, 3, 5, 22, 4),
        datetime(2024, 3, 5, 22, 31),
        datetime(2024, 3, 5, 22, 50),
    )
    assert items(inc) == [
        ("Drain cache nodes one zone at a time", "maria", None, "done", None, "prevent", "PAY-101"),
        ("Add a cache-miss fallback to checkout", "Jonas Weber", None, "in_progress", None, "mitigate", "PAY-102"),
        ("Alert on cache node count", None, None, "open", None, "detect", None),
    ]
    assert factors(inc) == [
        ("root_cause", "The resize script drained all cache nodes in one availability zone at once."),
        ("root_cause", "Checkout had no fallback path when the cache returned errors."),
        ("trigger", "A planned cache resize started at 14:00 PST."),
        ("what_went_poorly", "The resize runbook did not mention zones."),
    ]
    assert [f.line for f in inc.factors] == [27, 28, 32, 58]


def test_pagerduty_template() -> None:
    inc = load("pagerduty.md")
    assert inc.incident_id == "5b0c7e1a-0d7b-4c39-9a35-2f0c8b1d6e42"
    assert inc.title == "Search results empty for EU customers"  # key "Title" is case-insensitive
    assert (inc.severity, inc.severity_raw) == ("SEV2", "Sev 2")
    assert inc.services == ["search-api", "indexer"]  # comma-separated string
    assert inc.team == "Discovery"
    # start_time/end_time aliases, +02:00 converted to UTC
    assert times(inc) == (
        datetime(2024, 6, 11, 6, 15),
        None,  # customer reports reaching support are not detection: nothing paged a responder
        datetime(2024, 6, 11, 6, 40),
        datetime(2024, 6, 11, 7, 5),
    )
    assert inc.date == date(2024, 6, 11)
    assert [k for k, _ in kinds(inc)] == [
        "summary", "summary", "root_cause", "resolution", "impact", "other", "timeline",
        "lessons_learned", "what_went_well", "what_went_poorly", "action_items",
    ]
    assert kinds(inc)[9] == ("what_went_poorly", "What didn't go so well")
    assert events(inc) == [
        (datetime(2024, 6, 11, 6, 15), "2024-06-11 06:15", "Alias promoted; empty results begin"),
        (datetime(2024, 6, 11, 6, 21), "06:21", "Customer reports reach support"),
        (datetime(2024, 6, 11, 6, 40), "06:40", "Previous alias restored, impact mitigated"),
        (datetime(2024, 6, 11, 7, 5), "07:05", "Reindex finished; incident resolved"),
    ]
    assert items(inc) == [
        ("Check document counts before promoting an alias", "priya", date(2024, 6, 20), "done", None, None, "SRCH-88"),
        ("Add a synthetic search probe for the EU region", "tomas", date(2024, 7, 1), "open", None, None, None),
        ("Document the reindex runbook", None, None, "open", None, None, None),
        ("Evaluate a faster disk class", None, None, "wont_fix", None, None, None),
    ]
    assert factors(inc) == [
        ("root_cause", "The alias promotion step did not check document counts."),
        ("root_cause", "The reindex job had been slowed by a throttled disk volume."),
        ("what_went_poorly", "Nobody was paged by monitoring."),
    ]


def test_atlassian_template_with_five_whys() -> None:
    inc = load("atlassian.md")
    assert (inc.incident_id, inc.severity, inc.services, inc.team, inc.status) == (
        "INC-4411", "SEV1", ["identity-service"], "Identity", "Resolved",
    )
    # Front matter times in EDT (UTC-4) win over the timeline.
    assert times(inc) == (
        datetime(2024, 9, 2, 14, 5),
        datetime(2024, 9, 2, 14, 12),
        datetime(2024, 9, 2, 14, 40),
        datetime(2024, 9, 2, 15, 0),
    )
    assert kinds(inc) == [
        ("summary", "Incident summary"),
        ("trigger", "Leadup"),
        ("root_cause", "Fault"),
        ("impact", "Impact"),
        ("detection", "Detection"),
        ("resolution", "Response"),
        ("resolution", "Recovery"),
        ("timeline", "Timeline"),
        ("root_cause", "Five whys"),
        ("root_cause", "Root cause"),
        ("lessons_learned", "Lessons learned"),
        ("action_items", "Follow-up tasks"),
    ]
    assert events(inc)[0] == (datetime(2024, 9, 2, 14, 5), "10:05 EDT", "Login errors begin")
    assert events(inc)[-1] == (datetime(2024, 9, 2, 15, 0), "11:00 EDT", "Incident closed")
    assert factors(inc) == [
        ("trigger", "The certificate bundle was rotated by an automated job at 10:00."),
        ("root_cause", "The new bundle omitted the renewed intermediate certificate."),
        ("root_cause", "Because the service presented an expired intermediate certificate."),
        ("root_cause", "Because the rotation job built the bundle from a stale template."),
        ("root_cause", "Because nobody owned the template after the team reorganisation."),
        ("root_cause", "The rotation job trusted a stale bundle template."),
    ]
    assert items(inc) == [
        ("Validate the certificate chain before rotating", "Aiko Tanaka", date(2024, 9, 30), "done", "P1", None, "IDN-7"),
        ("Assign an owner to the bundle template", None, date(2024, 10, 15), "open", "P2", None, "IDN-8"),
        ("Rebuild the rotation job", "Sam Lee", None, "wont_fix", "P3", None, None),
    ]


def test_gitlab_template_with_checkbox_corrective_actions() -> None:
    inc = load("gitlab.md")
    assert (inc.incident_id, inc.severity, inc.services, inc.tags) == (
        "2024-11-19-ci-runner-outage", "SEV2", ["ci-runners"], ["incident", "ci"],
    )
    assert [k for k, _ in kinds(inc)] == [
        "summary", "timeline", "root_cause", "what_went_well", "what_went_poorly", "action_items",
    ]
    assert events(inc) == [
        (datetime(2024, 11, 19, 9, 10), "2024-11-19T09:10:00Z", "Autoscaler upgraded to 3.4"),
        (datetime(2024, 11, 19, 9, 25), "2024-11-19T09:25:00Z", "Queue length alert fired"),
        (datetime(2024, 11, 19, 10, 40), "2024-11-19T10:40:00Z", "Rolled back to autoscaler 3.3"),
        (datetime(2024, 11, 19, 11, 12), "2024-11-19T11:12:00Z", "Queue drained, all clear"),
    ]
    # No "begins"-style marker: started_at stays unknown rather than guessed.
    assert times(inc) == (
        None,
        datetime(2024, 11, 19, 9, 25),
        datetime(2024, 11, 19, 10, 40),
        datetime(2024, 11, 19, 11, 12),
    )
    assert items(inc) == [
        ("Pin the runner version in staging to production's", None, None, "done", None, None, "#4521"),
        ("Add a registration smoke test to the autoscaler release", "dev.lee", None, "open", None, None, None),
        ("Alert on runners registered per minute", "sasha", date(2025, 1, 15), "open", None, None, None),
    ]
    assert factors(inc) == [
        ("root_cause", "The upgraded autoscaler used a registration token format that the runner fleet did not accept."),
        ("root_cause", "The staging fleet already ran the newer runner version, so staging tests passed."),
        ("what_went_poorly", "Staging did not mirror the production runner version."),
    ]


def test_short_team_template_with_bold_label_headings() -> None:
    inc = load("short_team.md")
    assert (inc.title, inc.severity, inc.team, inc.services) == (
        "Nightly export job wrote empty files", "SEV4", "data-platform", [],
    )
    assert kinds(inc) == [
        ("summary", "What happened"),
        ("root_cause", "Why"),
        ("resolution", "Fix"),
        ("action_items", "Follow-ups"),
    ]
    assert inc.sections[1].body == "The export query filtered on a column renamed in the last migration."
    assert items(inc) == [
        ("add a row-count check to the export", "nina", None, "open", None, None, None),
        ("notify the partner about the re-run", None, None, "done", None, None, None),
    ]
    assert factors(inc) == [("root_cause", "The export query filtered on a column renamed in the last migration.")]
    assert times(inc) == (None, None, None, None)


def test_key_value_metadata_without_front_matter() -> None:
    inc = load("no_front_matter_key_value.md")
    assert inc.title == "Payment webhooks delayed"
    assert (inc.date, inc.severity, inc.services, inc.team, inc.status) == (
        date(2024, 2, 10), "SEV1", ["webhooks", "ledger"], "Core Payments", "resolved",
    )
    assert inc.started_at == datetime(2024, 2, 10, 22, 40)
    # "Note:" is not a metadata key, so it stops the block and stays as text.
    assert kinds(inc) == [("summary", ""), ("summary", "Summary"), ("root_cause", "Root cause"), ("action_items", "Action items")]
    assert inc.sections[0].body == "Note: this section is not metadata"
    assert inc.summary == "Webhook deliveries to merchants were delayed by up to 40 minutes."
    assert items(inc) == [
        ("Raise the consumer session timeout", "Lena", date(2024, 2, 20), "done", None, None, None),
        ("Add a lag alert for the webhook consumer group", None, None, "in_progress", None, None, "JIRA-2201"),
    ]
    assert inc.incident_id.startswith("no-front-matter-key-value-")


def test_unsectioned_prose_is_one_summary_with_cue_factors() -> None:
    inc = load("unsectioned_prose.md")
    assert inc.title == "On April 2 our public API returned errors for about an hour."
    assert kinds(inc) == [("summary", "")]
    assert inc.sections[0].line == 1
    assert factors(inc) == [
        ("summary", "The outage was caused by an expired TLS certificate on the load balancer."),
        ("summary", "Renewal had failed silently for three weeks because the renewal job lost its DNS permissions."),
    ]
    assert (inc.severity, inc.date, inc.timeline, inc.action_items) == (None, None, [], [])
    assert times(inc) == (None, None, None, None)


def test_messy_headings_bom_crlf_emoji_numbering_typos() -> None:
    raw = (FIXTURES / "messy_headings.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the fixture really is messy
    inc = load("messy_headings.md")
    assert (inc.incident_id, inc.severity, inc.severity_raw, inc.services) == ("MESSY-1", "SEV3", "SEV 3", ["orders"])
    assert "\r" not in inc.raw_text
    assert kinds(inc) == [
        ("summary", ""),
        ("impact", "🔥 1. Impact"),  # setext heading with emoji and numbering
        ("root_cause", "2) Root Casue"),  # typo; the bold label below joins it
        ("timeline", "III. Timline"),
        ("action_items", "✅ Action itmes"),
    ]
    assert "# this is a code comment" in inc.sections[2].body  # fenced code is never a heading
    assert events(inc) == [
        (datetime(2024, 5, 20, 9, 0), "09:00", "Broker failover starts; backlog begins"),
        (datetime(2024, 5, 20, 9, 7), "09:07", "Backlog alert fired"),
        (datetime(2024, 5, 20, 9, 25), "09:25", "Mirroring re-enabled, backlog draining (mitigated)"),
        (datetime(2024, 5, 20, 9, 50), "09:50", "Backlog cleared; resolved"),
    ]
    assert times(inc) == tuple(e[0] for e in events(inc))
    assert items(inc) == [
        ("Re-enable mirroring checks in the maintenance runbook", "ops.kim", None, "open", None, None, None),
        ("Add a broker failover game day", None, date(2024, 6, 30), "open", None, "prevent", None),
    ]
    assert factors(inc) == [
        ("root_cause", "The standby broker started with an empty queue mirror."),
        ("root_cause", "Mirroring was disabled during last month's maintenance."),
    ]
    # Line numbers refer to the source file (front matter counted).
    assert [s.line for s in inc.sections] == [9, 11, 16, 27, 36]


def test_leading_metadata_table() -> None:
    inc = load("metadata_table.md")
    assert inc.title == "Disk full on log aggregation nodes"
    assert (inc.severity, inc.severity_raw, inc.date, inc.services, inc.team) == (
        "SEV2", "Major", date(2023, 12, 1), ["log-pipeline"], "Observability",
    )
    assert (inc.started_at, inc.resolved_at) == (datetime(2023, 12, 1, 8, 12), datetime(2023, 12, 1, 10, 40))
    assert inc.restricted is True  # Visibility: restricted
    assert kinds(inc) == [("summary", "Summary"), ("root_cause", "Contributing factors"), ("action_items", "Follow-up")]
    assert items(inc) == [("Size volumes for the retention setting", "obs-team", date(2023, 12, 15), "wont_fix", None, None, None)]
    assert [f.text for f in inc.factors] == [
        "Log retention was raised from 7 to 30 days without resizing the volumes.",
        "The disk usage alert threshold was set at 98%, leaving no time to react.",
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.md")))
def test_every_fixture_has_title_sections_and_stable_id(name: str) -> None:
    a, b = load(name), load(name)
    assert a.title and a.sections
    assert a.incident_id == b.incident_id
    assert all(s.kind != "" for s in a.sections)


def test_front_matter_title_and_h1_do_not_duplicate_as_section() -> None:
    inc = parse_file(b"---\ntitle: T\n---\n# T\n\nBody text here.\n\n## Impact\n\nNone.\n", "x.md").incidents[0]
    assert kinds(inc) == [("summary", ""), ("impact", "Impact")]
    assert inc.sections[0].body == "Body text here."


def test_broken_yaml_front_matter_still_loads() -> None:
    text = b"---\ntitle: Broken: yaml: [here\nseverity: sev2\n---\n\n## Summary\n\nText.\n"
    inc = parse_file(text, "x.md").incidents[0]
    assert inc.severity == "SEV2"
    assert inc.title == "Broken: yaml: [here"
    assert kinds(inc) == [("summary", "Summary")]


def test_unclosed_front_matter_reads_leading_keys_then_body() -> None:
    text = b"---\ntitle: Never closed\nseverity: P2\n\n# Heading\n\nBody.\n"
    inc = parse_file(text, "x.md").incidents[0]
    assert (inc.title, inc.severity) == ("Never closed", "SEV2")
    assert inc.sections and inc.sections[0].body == "Body."


def test_bold_metadata_labels_after_title_are_metadata_not_headings() -> None:
    text = (
        b"# Routing outage\n\n**ID:** INC-9  \n**Severity:** major  \n**Started:** 2025-05-05 06:44 UTC  \n"
        b"**Detected:** 2025-05-05 06:46 UTC  \n**Resolved:** 2025-05-05 07:46 UTC  \n\n## What happened\n\nA config push.\n"
    )
    inc = parse_file(text, "x.md").incidents[0]
    assert (inc.incident_id, inc.severity) == ("INC-9", "SEV2")
    assert times(inc) == (datetime(2025, 5, 5, 6, 44), datetime(2025, 5, 5, 6, 46), None, datetime(2025, 5, 5, 7, 46))
    assert kinds(inc) == [("summary", "What happened")]


def test_google_sre_book_style_with_bold_labels() -> None:
    inc = load("google_sre_bold_labels.md")
    assert inc.title == "Recipe search outage during the pie contest (incident #812)"
    assert (inc.date, inc.status) == (date(2023, 11, 23), "Complete, action items in progress")
    # "**Authors**:" is consumed with the metadata block instead of becoming summary text.
    assert kinds(inc) == [
        ("summary", "Summary"), ("impact", "Impact"), ("root_cause", "Root Causes"), ("trigger", "Trigger"),
        ("resolution", "Resolution"), ("detection", "Detection"), ("action_items", "Action Items"),
        ("lessons_learned", "Lessons Learned"), ("what_went_well", "What went well"),
        ("what_went_poorly", "What went wrong"), ("timeline", "Timeline"),
    ]
    assert inc.summary.startswith("Recipe search was unavailable for 41 minutes")
    assert [(e.at, e.text) for e in inc.timeline][1:5:3] == [
        (datetime(2023, 11, 23, 19, 5), "OUTAGE BEGINS — backends start crashing"),
        (datetime(2023, 11, 23, 19, 46), "OUTAGE MITIGATED, error rate back to baseline"),
    ]
    assert times(inc) == (
        datetime(2023, 11, 23, 19, 5),
        datetime(2023, 11, 23, 19, 6),  # "receives a pager storm"
        datetime(2023, 11, 23, 19, 30),  # "Traffic shifted" comes before "OUTAGE MITIGATED"
        # The end of user impact ("OUTAGE MITIGATED, error rate back to baseline"), not the
        # later "incident resolved" once the leaking path was disabled.
        datetime(2023, 11, 23, 19, 46),
    )
    assert items(inc) == [
        ("Fix the leak on the no-results path", "ana", None, "done", None, "prevent", None),
        ("Add a load-shedding limit per backend", "bo", None, "open", None, "mitigate", "Bug 7731"),
    ]
    assert [f.source_section for f in inc.factors] == ["root_cause", "trigger", "what_went_poorly"]


def test_declared_timezone_applies_to_unzoned_times_only() -> None:
    text = (
        b"---\ntitle: Local times\ntimezone: Europe/Berlin\ndate: 2024-07-01\nstarted_at: 2024-07-01 10:00\n"
        b"resolved_at: 2024-07-01T11:00:00Z\n---\n## Timeline\n- 10:05 alert fired\n- 10:30 UTC rolled back\n"
    )
    inc = parse_file(text, "x.md").incidents[0]
    assert times(inc) == (
        datetime(2024, 7, 1, 8, 0),  # 10:00 Berlin summer time
        datetime(2024, 7, 1, 8, 5),
        datetime(2024, 7, 1, 10, 30),  # the line's own zone wins
        datetime(2024, 7, 1, 11, 0),  # so does an explicit Z
    )
    assert inc.date == date(2024, 7, 1)  # a date is not shifted


def test_timezone_line_in_a_key_value_block() -> None:
    text = b"# T\n\nTimezone: PT\nStarted: 2024-01-10 09:00\n\n## Timeline\n\n- 09:05 paged\n"
    inc = parse_file(text, "x.md").incidents[0]
    assert (inc.started_at, inc.detected_at) == (datetime(2024, 1, 10, 17, 0), datetime(2024, 1, 10, 17, 5))


def test_pipe_tables_without_outer_pipes() -> None:
    text = (
        b"# Pipeless tables\n\nSeverity | Date | Services\n--- | --- | ---\nSEV2 | 2024-03-05 | api\n\n"
        b"## Timeline\n\nTime (UTC) | Event\n:--- | ---\n14:02 | outage begins\n14:30 | resolved\n\n"
        b"## Action items\n\nAction | Owner | Status\n--- | --- | ---\nAdd an alert | bob | done\n"
    )
    inc = parse_file(text, "x.md").incidents[0]
    assert (inc.severity, inc.date, inc.services) == ("SEV2", date(2024, 3, 5), ["api"])
    assert [(e.at, e.text) for e in inc.timeline] == [
        (datetime(2024, 3, 5, 14, 2), "outage begins"), (datetime(2024, 3, 5, 14, 30), "resolved"),
    ]
    assert items(inc) == [("Add an alert", "bob", None, "done", None, None, None)]


def test_html_comments_from_templates_are_not_content() -> None:
    text = (
        b"# Outage\n\n## Root cause\n\n<!-- Describe the root cause.\n## Not a heading -->\n\n- A cache expired early.\n\n"
        b"## Action items\n\n<!-- - [ ] example item -->\n- [ ] Renew caches @ana\n"
    )
    inc = parse_file(text, "x.md").incidents[0]
    assert kinds(inc) == [("root_cause", "Root cause"), ("action_items", "Action items")]
    assert [f.text for f in inc.factors] == ["A cache expired early."]
    assert [(a.text, a.line) for a in inc.action_items] == [("Renew caches", 13)]
    assert "<!--" in inc.raw_text  # the linter still sees the file as written


def test_fenced_code_is_never_the_title_or_the_summary() -> None:
    text = (
        "---\ndate: 2024-11-03\n---\n\n"
        "```\nkubectl get pods\n\nCrashLoopBackOff\n```\n"  # a blank line inside the block
        "The scheduler evicted every pod at once. Checkout was down.\n\n"
        "## Impact\n\nCheckout was down for 20 minutes.\n"
    )
    (inc,) = parse_file(text.encode(), "postmortems/fenced-preamble.md").incidents
    assert inc.title == "The scheduler evicted every pod at once."
    assert inc.summary == "The scheduler evicted every pod at once. Checkout was down."
