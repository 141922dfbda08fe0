"""Charts of the quarterly review: pure functions from a QuarterlyReview to an Altair chart.

They live in pipelines/ (not dashboard/) because the CLI report embeds them too and pipelines
never imports Streamlit. Each returns None when there is nothing to draw, so callers show a
sentence instead of an empty axis.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pipelines.model import SEVERITIES
from pipelines.report.review import UNKNOWN_SEVERITY, QuarterlyReview

QUARTER_COLORS = ("#9e9e9e", "#2166ac")  # previous quarter muted, this quarter strong
WIDTH = 520


def _quarter_scale(review: QuarterlyReview) -> alt.Scale:
    return alt.Scale(domain=[str(review.previous.quarter), str(review.quarter)], range=list(QUARTER_COLORS))


def severity_chart(review: QuarterlyReview) -> alt.Chart | None:
    """Incidents per severity, this quarter beside the previous one."""
    rows = [
        {"quarter": str(fig.quarter), "severity": sev, "incidents": fig.by_severity[sev]}
        for fig in (review.previous, review.current)
        for sev in (*SEVERITIES, UNKNOWN_SEVERITY)
    ]
    df = pd.DataFrame(rows)
    if df["incidents"].sum() == 0:
        return None
    # Only show "unknown" when some incident actually lacks a severity.
    if df.loc[df["severity"] == UNKNOWN_SEVERITY, "incidents"].sum() == 0:
        df = df[df["severity"] != UNKNOWN_SEVERITY]
    order = [s for s in (*SEVERITIES, UNKNOWN_SEVERITY) if s in set(df["severity"])]
    return (
        alt.Chart(df, title=f"Incidents by severity: {review.quarter} vs {review.previous.quarter}")
        .mark_bar()
        .encode(
            x=alt.X("severity:N", sort=order, title="Severity (SEV1 = most severe)", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("quarter:N", sort=[str(review.previous.quarter), str(review.quarter)]),
            y=alt.Y("incidents:Q", title="Incidents (count)", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("quarter:N", title="Quarter", scale=_quarter_scale(review)),
            tooltip=[alt.Tooltip("quarter:N", title="Quarter"), alt.Tooltip("severity:N", title="Severity"),
                     alt.Tooltip("incidents:Q", title="Incidents")],
        )
        .properties(width=WIDTH, height=220)
    )


def duration_chart(review: QuarterlyReview, measure: str = "resolve") -> alt.Chart | None:
    """Distribution of time to resolve (or detect) per quarter, in hours: a box from the 25th to the
    75th percentile, whiskers from the 5th to the 95th, a tick at the median and a dot at the p90.

    Percentiles and not a bar of means: durations are heavily skewed and one long outage would
    otherwise look like a trend. The summary is computed here, so the chart carries a few numbers
    instead of every incident's duration.
    """
    attr = {"resolve": "time_to_resolve", "detect": "time_to_detect"}[measure]
    rows = []
    for fig in (review.previous, review.current):
        stats = getattr(fig, attr)
        if not stats.values:
            continue
        hours = np.asarray(stats.values, dtype=float) / 60.0
        p5, q1, med, q3, p90, p95 = np.percentile(hours, [5, 25, 50, 75, 90, 95])
        rows.append({"quarter": str(fig.quarter), "label": f"{fig.quarter} (n={stats.n})", "n": stats.n,
                     "p5": p5, "q1": q1, "median": med, "q3": q3, "p90": p90, "p95": p95})
    if not rows:
        return None
    df = pd.DataFrame(rows)
    word = "resolve" if measure == "resolve" else "detect"
    y = alt.Y("label:N", sort=list(df["label"]), title="Quarter (n timed)")
    color = alt.Color("quarter:N", title="Quarter", scale=_quarter_scale(review), legend=None)
    tooltip = [
        alt.Tooltip("label:N", title="Quarter"),
        alt.Tooltip("median:Q", title="Median (hours)", format=".2f"),
        alt.Tooltip("p90:Q", title="p90 (hours)", format=".2f"),
    ]
    # Layers without data of their own share the top-level data: much cheaper for Altair to build.
    whiskers = alt.Chart().mark_rule().encode(y=y, x=alt.X("p5:Q", title=f"Time to {word} (hours)"), x2="p95:Q", color=color)
    box = alt.Chart().mark_bar(size=22).encode(y=y, x="q1:Q", x2="q3:Q", color=color, tooltip=tooltip)
    median = alt.Chart().mark_tick(color="white", thickness=3, size=22).encode(y=y, x="median:Q", tooltip=tooltip)
    p90 = alt.Chart().mark_point(filled=True, color="black", size=40).encode(y=y, x="p90:Q", tooltip=tooltip)
    title = alt.Title(
        f"Time to {word} per incident (hours from start)",
        subtitle="box: 25th-75th percentile; whiskers: 5th-95th; tick: median; dot: p90",
    )
    # Height by step, not pixels: Streamlit fits a fixed pixel height around the title and
    # subtitle, which left no room for the plot.
    return alt.layer(whiskers, box, median, p90, data=df, title=title).properties(width=WIDTH, height=alt.Step(36))


def themes_chart(review: QuarterlyReview) -> alt.Chart | None:
    """Top themes this quarter, with the previous quarter's count beside each."""
    if not review.top_themes:
        return None
    rows = []
    order = []
    for t in review.top_themes:
        name = f"{t.label} (new)" if t.is_new else t.label
        # Two themes can share a label; the id keeps their bars apart.
        name = f"{name} #{t.theme_id}" if name in order else name
        order.append(name)
        rows.append({"theme": name, "quarter": str(review.previous.quarter), "incidents": t.previous_incidents})
        rows.append({"theme": name, "quarter": str(review.quarter), "incidents": t.incidents})
    df = pd.DataFrame(rows)
    return (
        alt.Chart(df, title=f"Top recurring patterns in {review.quarter}")
        .mark_bar()
        .encode(
            y=alt.Y("theme:N", sort=order, title="Pattern", axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("quarter:N", sort=[str(review.previous.quarter), str(review.quarter)]),
            x=alt.X("incidents:Q", title="Incidents (count)", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("quarter:N", title="Quarter", scale=_quarter_scale(review)),
            tooltip=[alt.Tooltip("theme:N", title="Theme"), alt.Tooltip("quarter:N", title="Quarter"),
                     alt.Tooltip("incidents:Q", title="Incidents")],
        )
        .properties(width=WIDTH - 120)
    )


def review_charts(review: QuarterlyReview) -> list[tuple[str, alt.Chart]]:
    """Every chart of the review that has data, with a short id, in page order."""
    charts = [
        ("severity", severity_chart(review)),
        ("resolve", duration_chart(review, "resolve")),
        ("detect", duration_chart(review, "detect")),
        ("themes", themes_chart(review)),
    ]
    return [(name, chart) for name, chart in charts if chart is not None]
