"""Labels as issue trackers and status pages write them, read as incident fields.

A label is `key<sep>value` with sep `::` (GitLab scoped labels: `severity::2`, `~"team::money"`),
`/` (GitHub-style: `sev/2`, `team/money`) or `:` (status pages and tool tags: `impact:major`,
`component:Git Operations`, `service:checkout`). The key names a field the way a metadata key does
(pipelines/parsing/metadata.py: `sev`, `severity`, `priority`, `team`, `squad`, `owner`,
`service`, `component`, ...); `impact` is a severity, as status pages use it. Labels with any
other key, or none (`incident`, `postmortem`), stay tags only.

Where labels are read: a `labels`/`tags` metadata value (front matter, a `Labels:` line, an export
column) and GitLab quick-action lines (`/label ~"severity::2" ~incident`) anywhere in the body.
"""

from __future__ import annotations

import re

from pipelines.parsing.metadata import canonical_field

_LABEL = re.compile(r"^\s*~?\"?\s*([A-Za-z][\w .\-]{0,30}?)\s*(?:::|/|:)\s*([^\"]+?)\s*\"?\s*$")
_QUICK_ACTION = re.compile(r"^\s*/label\s+(.+)$", re.I)
_QUICK_LABEL = re.compile(r'~"([^"]+)"|~(\S+)')
# Keys that mean something else as a label than as a metadata key.
_LABEL_KEYS = {"impact": "severity", "sev": "severity", "prio": "priority"}
LABEL_FIELDS = ("severity", "priority", "team", "services")


def label_field(label: str) -> tuple[str, str] | None:
    """(field, value) for a label that names severity, priority, team or a service, else None."""
    m = _LABEL.match(label)
    if m is None:
        return None
    key, value = m.group(1).strip().lower(), m.group(2).strip()
    field = _LABEL_KEYS.get(key) or canonical_field(key)
    if field not in LABEL_FIELDS or not value:
        return None
    return field, value


def label_fields(labels: list[str]) -> list[tuple[str, str]]:
    """Every (field, value) the labels carry, in order."""
    return [fv for fv in (label_field(x) for x in labels) if fv is not None]


def quick_action_labels(line: str) -> list[str]:
    """The labels of a GitLab `/label ~a ~"b c"` line, else []."""
    m = _QUICK_ACTION.match(line)
    if m is None:
        return []
    return [a or b for a, b in _QUICK_LABEL.findall(m.group(1))]
