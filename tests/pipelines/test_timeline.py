"""Timeline lines and tables -> events in UTC; incident times from markers."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pipelines.model import TimelineEvent
from pipelines.parsing.timeline import extract_timeline, parse_time_text, times_from_markers

DAY = date(2024, 3, 5)


def one(line: str, day: date | None = DAY, heading: str = "Timeline") -> tuple[datetime | None, str, str]:
    (ev,) = extract_timeline(line, 1, day, heading)
    return ev.at, ev.raw_time, ev.text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- 14:02 Deploy started", (datetime(2024, 3, 5, 14, 2), "14:02", "Deploy started")),
        ("- 14:02 UTC: Deploy started", (datetime(2024, 3, 5, 14, 2), "14:02 UTC", "Deploy started")),
        ("* **14:02** — Deploy started", (datetime(2024, 3, 5, 14, 2), "14:02", "Deploy started")),
        ("[14:02:30] Deploy started", (datetime(2024, 3, 5, 14, 2, 30), "14:02:30", "Deploy started")),
        ("14:02 - Deploy started", (datetime(2024, 3, 5, 14, 2), "14:02", "Deploy started")),
        ("- 2:02 PM PDT: Deploy started", (datetime(2024, 3, 5, 21, 2), "2:02 PM PDT", "Deploy started")),
        ("- 9am: standup", (datetime(2024, 3, 5, 9, 0), "9am", "standup")),
        ("- 2024-03-06 01:15 Deploy started", (datetime(2024, 3, 6, 1, 15), "2024-03-06 01:15", "Deploy started")),
        ("- 2024-03-06T01:15:00Z Deploy", (datetime(2024, 3, 6, 1, 15), "2024-03-06T01:15:00Z", "Deploy")),
        ("- 2024-03-06T01:15:00+05:30 Deploy", (datetime(2024, 3, 5, 19, 45), "2024-03-06T01:15:00+05:30", "Deploy")),
        ("- Mar 6, 14:02 UTC: Deploy", (datetime(2024, 3, 6, 14, 2), "Mar 6, 14:02 UTC", "Deploy")),
        ("- March 6 2024 14:02 EST Deploy", (datetime(2024, 3, 6, 19, 2), "March 6 2024 14:02 EST", "Deploy")),
        ("- 14:02-14:10 UTC rollout", (datetime(2024, 3, 5, 14, 2), "14:02-14:10 UTC", "rollout")),
        ("- 14:02 (UTC+2) rollout", (datetime(2024, 3, 5, 12, 2), "14:02 (UTC+2)", "rollout")),
        ("1. 14:02 Deploy started", (datetime(2024, 3, 5, 14, 2), "14:02", "Deploy started")),
        ("- **14:02** UTC - Deploy", (datetime(2024, 3, 5, 14, 2), "14:02 UTC", "Deploy")),
        ("- ~14:05 On-call acknowledged", (datetime(2024, 3, 5, 14, 5), "14:05", "On-call acknowledged")),
        ("- At 14:07, the team rolled back", (datetime(2024, 3, 5, 14, 7), "14:07", "the team rolled back")),
        ("- `14:20` Done", (datetime(2024, 3, 5, 14, 20), "14:20", "Done")),
    ],
)
def test_timeline_line_formats(line: str, expected: tuple) -> None:
    assert one(line) == expected


def test_time_only_line_without_any_date_keeps_raw_time_and_no_at() -> None:
    assert one("- 14:02 Deploy", day=None) == (None, "14:02", "Deploy")


def test_lines_without_times_are_not_events_but_wrapped_text_joins() -> None:
    body = (
        "All times UTC.\n\n- 14:02 Deploy started\n  and rolled to 5% of hosts\n- People joined the call\n- 25:99 not a time"
        "\n- Around noon things improved\n- Attempted 3 restarts"
    )
    evs = extract_timeline(body, 10, DAY)
    assert [(e.raw_time, e.text, e.line) for e in evs] == [("14:02", "Deploy started and rolled to 5% of hosts", 12)]


def test_date_lines_carry_over_and_midnight_rolls_forward() -> None:
    body = "### March 5, 2024\n- 23:50 Disk alarm\n- 00:10 Disk full\n**2024-03-07**\n- 08:00 Postmortem review"
    evs = extract_timeline(body, 1, None)
    assert [e.at for e in evs] == [datetime(2024, 3, 5, 23, 50), datetime(2024, 3, 6, 0, 10), datetime(2024, 3, 7, 8, 0)]


@pytest.mark.parametrize(
    "heading_or_note",
    [("Timeline (PDT)", ""), ("Timeline", "All times are PDT."), ("Timeline", "Times in PDT"), ("Timeline PDT", "")],
)
def test_section_zone_applies_to_lines_without_zone(heading_or_note: tuple[str, str]) -> None:
    heading, note = heading_or_note
    evs = extract_timeline(f"{note}\n- 14:02 Deploy\n- 15:00 UTC Rollback", 1, DAY, heading)
    assert [e.at for e in evs] == [datetime(2024, 3, 5, 21, 2), datetime(2024, 3, 5, 15, 0)]


def test_timeline_tables_with_time_and_date_columns() -> None:
    body = (
        "| Date | Time | Event | Owner |\n|------|------|-------|-------|\n"
        "| 2024-03-05 | 14:02 | Deploy | ana |\n| | 14:10 | Rollback | |\n"
    )
    evs = extract_timeline(body, 1, None)
    assert [(e.at, e.raw_time, e.text) for e in evs] == [
        (datetime(2024, 3, 5, 14, 2), "2024-03-05 14:02", "Deploy — ana"),
        (datetime(2024, 3, 5, 14, 10), "14:10", "Rollback"),
    ]


def test_timeline_table_zone_in_header() -> None:
    body = "| Time (CET) | What happened |\n|---|---|\n| 10:00 | Alert fired |\n"
    assert [(e.at, e.text) for e in extract_timeline(body, 1, DAY)] == [(datetime(2024, 3, 5, 9, 0), "Alert fired")]


def test_timeline_table_cell_with_inline_code_pipe() -> None:
    body = "| Time | Event |\n|---|---|\n| 10:00 | Deployed with `a|b` as the filter |\n"
    assert [e.text for e in extract_timeline(body, 1, DAY)] == ["Deployed with `a|b` as the filter"]


def test_fenced_timeline_lines_are_events_but_never_wrapped_text() -> None:
    # A timeline pasted as a code block is still the timeline; a closing fence of the other
    # character does not end the block, so "still code" is not joined to the 10:07 event.
    body = "- 10:02 Deploy\n~~~\n10:05 Alert fired\n```\nstill code\n~~~\n- 10:07 Rollback\n  wrapped text"
    assert [(e.raw_time, e.text) for e in extract_timeline(body, 1, DAY)] == [
        ("10:02", "Deploy"),
        ("10:05", "Alert fired"),
        ("10:07", "Rollback wrapped text"),
    ]


def test_markers_pick_first_start_detect_mitigate_and_last_resolve() -> None:
    def ev(h: int, text: str) -> TimelineEvent:
        return TimelineEvent(datetime(2024, 3, 5, h), f"{h}:00", text)

    evs = [
        ev(1, "Config pushed"),
        ev(2, "Error rate spikes; outage begins"),
        ev(3, "On-call paged by the latency alert"),
        ev(4, "Not yet resolved, still investigating"),
        ev(5, "Rolled back the config"),
        ev(6, "Service recovered"),
        ev(7, "Incident resolved, all clear"),
        TimelineEvent(None, "later", "resolved again without a time"),
    ]
    assert times_from_markers(evs) == {
        "started_at": datetime(2024, 3, 5, 2),
        "detected_at": datetime(2024, 3, 5, 3),
        "mitigated_at": datetime(2024, 3, 5, 5),
        "resolved_at": datetime(2024, 3, 5, 7),
    }


def test_no_markers_means_no_times() -> None:
    assert times_from_markers([TimelineEvent(datetime(2024, 1, 1), "00:00", "Coffee")]) == {}


def test_parse_time_text() -> None:
    assert parse_time_text("14:02 PDT", DAY) == datetime(2024, 3, 5, 21, 2)
    assert parse_time_text("2024-03-05 14:02") == datetime(2024, 3, 5, 14, 2)
    assert parse_time_text("14:02") is None
    assert parse_time_text("whenever") is None


def test_month_day_without_year_takes_the_nearest_year() -> None:
    body = "- Dec 31, 23:40 UTC: Impact begins\n- Jan 1, 00:13 UTC: Mitigated"
    evs = extract_timeline(body, 1, date(2025, 12, 31))
    assert [e.at for e in evs] == [datetime(2025, 12, 31, 23, 40), datetime(2026, 1, 1, 0, 13)]


def test_date_with_text_is_a_day_event_without_a_made_up_time() -> None:
    evs = extract_timeline("- 2024-03-04: Config change merged\n- 14:02 Deploy\n2024-03-06 (all times UTC)\n- 09:00 Review", 1, None)
    assert [(e.at, e.raw_time, e.text) for e in evs] == [
        (None, "2024-03-04", "Config change merged"),
        (datetime(2024, 3, 4, 14, 2), "14:02", "Deploy"),
        (datetime(2024, 3, 6, 9, 0), "09:00", "Review"),
    ]


def test_dotted_day_first_dates_and_a_date_written_after_the_time() -> None:
    body = "2024-10-27 (all times UTC)\n\n- 21:00 (Sat 26 Oct) nightly job builds the grid\n- 01:00 clocks go back\n05.03.2025 09:10 switched back"
    events = extract_timeline(body, 1, date(2024, 10, 27))
    assert [(e.at, e.text) for e in events] == [
        (datetime(2024, 10, 26, 21, 0), "nightly job builds the grid"),
        (datetime(2024, 10, 27, 1, 0), "clocks go back"),
        (datetime(2025, 3, 5, 9, 10), "switched back"),
    ]


def test_a_utc_stamp_among_local_lines_keeps_the_local_day() -> None:
    # 6:58pm PST after a Z stamp of the next UTC day is still the evening of 6 March, local time.
    body = "(times are PST unless it says Z)\n\n03/06/2025 6:40pm first reports\n2025-03-07T02:52Z page\n6:58pm ack"
    events = extract_timeline(body, 1, date(2025, 3, 6))
    assert [e.at for e in events] == [datetime(2025, 3, 7, 2, 40), datetime(2025, 3, 7, 2, 52), datetime(2025, 3, 7, 2, 58)]
