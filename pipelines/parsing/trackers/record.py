"""One tracker record (a Jira issue, a GitHub issue, an incident.io follow-up, a Dispatch task)
as every reader returns it, and the error a reader raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class TrackerError(ValueError):
    """A tracker file that cannot be used; the message names the file, the row where known, and what to do."""


@dataclass
class TrackerRecord:
    source_path: str  # the file as given on the command line
    row: int  # 1-based: data row of a CSV (header excluded), element of a JSON array
    system: str  # jira | github | incident_io | dispatch
    key: str | None  # what postmortems cite: 'TC-412', '#1850'; None for tasks without one (Dispatch)
    title: str
    status: str  # open | in_progress | done | wont_fix
    status_raw: str  # as the tracker wrote it ('Closed / Won't Fix', 'CLOSED / NOT_PLANNED')
    url: str | None = None
    priority: str | None = None
    assignee: str | None = None
    created_at: datetime | None = None  # naive UTC
    closed_at: datetime | None = None  # naive UTC; only for done and wont_fix
    due_date: datetime | None = None
    aliases: list[str] = field(default_factory=list)  # other references to the same work (an incident.io
    # follow-up's Jira key and permalink, a GitHub issue's URL)
    incident_ref: str | None = None  # the incident the tracker files it under, when it says

    @property
    def record_id(self) -> str:
        """Stable id within one build: the key, else file and row."""
        return f"{self.system}:{self.key}" if self.key else f"{self.system}:{self.source_path}:{self.row}"
