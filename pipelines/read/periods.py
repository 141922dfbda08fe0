"""Which stretch of time the pages open on: the corpus's dense period, and the quarter KPIs describe.

Real postmortem collections are lopsided in time. A public one starts with a 1628 shipwreck,
has a few incidents a decade until 2011 and ten or more a year after that; drawn from first to
last incident, every month's bar is a sliver at the right edge. So the date filter opens on the
*dense period* (`dense_start_year`), says how many incidents lie outside it, and includes them
in one click.

The dense period is the run of consecutive calendar years with at least one incident that ends
with the latest incident's year. A year without any incident breaks the run, because before
such a gap the corpus is a scattering of old cases rather than a record kept as a habit. When
the run holds less than DENSE_MIN_SHARE of the dated incidents (a lone recent incident after a
quiet year), it grows back over the gap to the earlier run, and so on, so the default never
hides most of a corpus.
"""

from __future__ import annotations

from collections.abc import Mapping

# The dense period holds at least this share of the dated incidents (see the module docstring).
DENSE_MIN_SHARE = 0.5


def dense_start_year(per_year: Mapping[int, int]) -> int | None:
    """First year of the dense period, from incidents per calendar year; None without any."""
    counts = {int(y): int(n) for y, n in per_year.items() if n > 0}
    if not counts:
        return None
    total = sum(counts.values())
    start = max(counts)
    held = counts[start]
    while True:
        while start - 1 in counts:  # the unbroken run of years with incidents
            start -= 1
            held += counts[start]
        earlier = [y for y in counts if y < start]
        if held >= DENSE_MIN_SHARE * total or not earlier:
            return start
        start = max(earlier)  # the run holds too little: reach back over the gap
        held += counts[start]
