"""Tracker exports (Jira CSV, `gh issue list` JSON, incident.io follow-ups, Dispatch tasks) read into
TrackerRecords; the build matches them to action items (pipelines/build/tracker_sync.py)."""

from pipelines.parsing.trackers.read import FORMATS, read_tracker_bytes, read_tracker_file
from pipelines.parsing.trackers.record import TrackerError, TrackerRecord
from pipelines.parsing.trackers.status import TrackerWords, load_tracker_words, normalise, status_of, tracker_words

__all__ = [
    "FORMATS", "TrackerError", "TrackerRecord", "TrackerWords", "load_tracker_words", "normalise",
    "read_tracker_bytes", "read_tracker_file", "status_of", "tracker_words",
]
