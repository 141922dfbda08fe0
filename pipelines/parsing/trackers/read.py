"""Read one tracker export, recognising its format by CONTENT (a file called `export.csv` may be
Jira or Dispatch): JSON whose items have `number` and `state` is `gh issue list`, items with
`incident_id`, `title` and `status` are incident.io follow-ups; a CSV whose header has `Summary`,
`Issue key` and `Status` is Jira, one with `Incident Name`, `Status`, `Description` and `Resolved
At` or `Due By` is Dispatch.

Anything else, or any row that cannot be read, raises TrackerError naming the file and the row:
a build given a tracker file it cannot read publishes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pipelines.parsing.trackers.dispatch import is_dispatch_header, read_dispatch
from pipelines.parsing.trackers.github import is_github, read_github
from pipelines.parsing.trackers.incidentio import is_incidentio, read_incidentio
from pipelines.parsing.trackers.jira import is_jira_header, read_jira
from pipelines.parsing.trackers.record import TrackerError, TrackerRecord
from pipelines.parsing.trackers.status import TrackerWords

FORMATS = "a Jira CSV export, `gh issue list --json ...` output, incident.io follow-ups JSON or a Dispatch task CSV"


def read_tracker_bytes(data: bytes, path: str, words: TrackerWords | None = None) -> list[TrackerRecord]:
    """Every record in one tracker export; TrackerError when it is none of FORMATS or a row is bad."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TrackerError(f"{path}: not UTF-8 text (byte {e.start}); re-export it as UTF-8") from None
    stripped = text.lstrip()
    if not stripped:
        raise TrackerError(f"{path}: the file is empty; expected {FORMATS}")
    if stripped[0] in "[{":
        return _read_json(text, path, words)
    return _read_csv(text, path, words)


def read_tracker_file(path: Path | str, words: TrackerWords | None = None) -> list[TrackerRecord]:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise TrackerError(f"{path}: cannot read the tracker file: {e.strerror or e}") from None
    return read_tracker_bytes(data, str(path), words)


def _read_json(text: str, path: str, words: TrackerWords | None) -> list[TrackerRecord]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise TrackerError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if isinstance(doc, dict):
        # The incident.io API wraps follow-ups in an object; take its one list of records.
        lists = [v for k, v in doc.items() if isinstance(v, list) and k in ("follow_ups", "followups", "issues", "data")]
        doc = lists[0] if lists else None
    if not isinstance(doc, list):
        raise TrackerError(f"{path}: JSON, but not a list of issues or follow-ups; expected {FORMATS}")
    if not doc:
        return []
    bad = next((n for n, item in enumerate(doc, start=1) if not isinstance(item, dict)), None)
    if bad:
        raise TrackerError(f"{path}: item {bad}: not a JSON object; expected {FORMATS}")
    if is_github(doc):
        return read_github(doc, path, words)
    if is_incidentio(doc):
        return read_incidentio(doc, path, words)
    first_odd = next(n for n, item in enumerate(doc, start=1) if not ({"number", "state"} <= item.keys()
                                                                     or {"incident_id", "title", "status"} <= item.keys()))
    raise TrackerError(
        f"{path}: item {first_odd}: neither a GitHub issue (number, state) nor an incident.io follow-up "
        f"(incident_id, title, status); expected {FORMATS}"
    )


def _read_csv(text: str, path: str, words: TrackerWords | None) -> list[TrackerRecord]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise TrackerError(f"{path}: not a readable CSV ({e})") from None
    if not rows:
        raise TrackerError(f"{path}: the file is empty; expected {FORMATS}")
    if is_jira_header(rows[0]):
        return read_jira(rows, path, words)
    if is_dispatch_header(rows[0]):
        return read_dispatch(rows, path, words)
    raise TrackerError(
        f"{path}: row 0 (header): not a tracker export Hindsight recognises ({', '.join(rows[0][:6])}...); expected {FORMATS}"
    )
