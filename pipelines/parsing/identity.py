"""An incident's id when its write-up states none but its title starts with one.

Incident tools title their pages and exports with the incident's key ("INC-431: Handhelds
logged out", "OPS-88 - Checkout down"). A Markdown write-up without an `id` field gets an id
derived from its file name; when its title leads with such a key, the key is the better id: it
is the one the tool's export uses, so the page and the export record link as one incident
(pipelines/build/merge.py). A severity or priority at the start of a title (`SEV-1:`, `P1 -`)
is not a key.
"""

from __future__ import annotations

import re

from pipelines.model import Incident
from pipelines.parsing.markdown import derive_incident_id

_TITLE_KEY = re.compile(
    r"^\s*(\[)?(?!(?:SEV|SEVERITY|PRIORITY|LEVEL|P)-?\d)([A-Z][A-Z0-9]{1,9}-\d{1,9})(?(1)\]\s*[:–—-]?\s|(?:\s*:|\s[-–—]\s))"
)


def title_key(title: str | None) -> str | None:
    """`INC-431` for "INC-431: ...", None when the title does not lead with an incident key."""
    m = _TITLE_KEY.match(title or "")
    return m.group(2) if m else None


def adopt_title_key(inc: Incident) -> None:
    """Give a Markdown incident whose id was derived from its file name the key its title leads with."""
    if inc.source_format != "markdown" or inc.incident_id != derive_incident_id(inc.source_path):
        return
    key = title_key(inc.title)
    if key:
        inc.incident_id = key
