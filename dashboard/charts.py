"""Chart builders: pure functions from a query's DataFrame to an Altair chart.

Each returns None when there is nothing to draw, so the page shows a friendly message instead
of an empty axis. Every chart has a title, axis titles with units and tooltips. Severity colours
run from dark red (SEV1, most alarming) to a calm blue-grey (SEV4).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

SEVERITY_ORDER = ["SEV1", "SEV2", "SEV3", "SEV4", "unknown"]
SEVERITY_COLORS = ["#7f0000", "#d7301f", "#fc8d59", "#9ecae1", "#bdbdbd"]
SEVERITY_SCALE = alt.Scale(domain=SEVERITY_ORDER, range=SEVERITY_COLORS)
STATUS_ORDER = ["done", "in_progress", "open", "wont_fix"]
STATUS_COLORS = ["#1a9850", "#fee08b", "#d73027", "#bdbdbd"]
LINT_SEVERITY_SCALE = alt.Scale(domain=["error", "warning", "info"], range=["#d73027", "#fc8d59", "#9ecae1"])
MAX_GROUPS = 8  # more lines than this on one chart are unreadable; the rest become "other"
MAX_THEMES = 20  # rows in theme charts; the themes table lists them all
WIDTH = "container"
MAX_DOTS = 60  # dots per quarter in duration charts: enough to show the spread


def _empty(df: pd.DataFrame | None) -> bool:
    return df is None or df.empty


def incidents_per_month(df: pd.DataFrame) -> alt.Chart | None:
    """Stacked bars: month x incidents, coloured by severity. Columns: month, severity, incidents."""
    if _empty(df):
        return None
    return (
        alt.Chart(df, title="Incidents per month, by severity")
        .mark_bar()
        .encode(
            x=alt.X("utcyearmonth(month):T", title="Month", axis=alt.Axis(format="%b %Y", formatType="utc", labelAngle=-40)),
            y=alt.Y("sum(incidents):Q", title="Incidents (count)", stack="zero"),
            color=alt.Color("severity:N", title="Severity", scale=SEVERITY_SCALE, sort=SEVERITY_ORDER),
            order=alt.Order("severity_rank:Q"),
            tooltip=[
                alt.Tooltip("utcyearmonth(month):T", title="Month", format="%B %Y", formatType="utc"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("sum(incidents):Q", title="Incidents"),
            ],
        )
        .transform_calculate(severity_rank=f"indexof({SEVERITY_ORDER!r}, datum.severity)")
        .properties(width=WIDTH, height=280)
    )


def ranked_bars(df: pd.DataFrame, *, category: str, value: str, title: str, category_title: str, value_title: str) -> alt.Chart | None:
    """Horizontal bars, longest first (top services, top themes, lint rules...)."""
    if _empty(df):
        return None
    return (
        alt.Chart(df, title=title)
        .mark_bar(color="#4c78a8")
        .encode(
            # no y title: the chart title names the category, and a rotated title collides with long labels
            y=alt.Y(f"{category}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip(f"{category}:N", title=category_title), alt.Tooltip(f"{value}:Q", title=value_title)],
        )
        .properties(width=WIDTH, height=max(120, 24 * len(df)))
    )


def _top_groups(df: pd.DataFrame, limit: int = MAX_GROUPS) -> pd.DataFrame:
    totals = df.groupby("group")["incidents"].sum().sort_values(ascending=False)
    if len(totals) <= limit:
        return df
    keep = set(totals.index[: limit - 1])
    out = df.assign(group=df["group"].where(df["group"].isin(keep), "other"))
    return out.groupby(["quarter", "group"], as_index=False)["incidents"].sum()


def incidents_by_group(df: pd.DataFrame, *, dimension: str) -> alt.Chart | None:
    """Lines per group over quarters. Columns: quarter, group, incidents."""
    if _empty(df):
        return None
    data = _top_groups(df)
    label = dimension.capitalize()
    base = alt.Chart(data).encode(
        x=alt.X("quarter:O", title="Quarter", sort="ascending", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("incidents:Q", title="Incidents (count)", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("group:N", title=label, legend=alt.Legend(labelLimit=220)),
        tooltip=[
            alt.Tooltip("quarter:O", title="Quarter"),
            alt.Tooltip("group:N", title=label),
            alt.Tooltip("incidents:Q", title="Incidents"),
        ],
    )
    return alt.layer(base.mark_line(), base.mark_point(filled=True, size=50), title=f"Incidents per quarter, by {dimension}").properties(
        width=WIDTH, height=320
    )


# Log-axis ticks at durations people think in, labelled in minutes, hours or days.
DURATION_TICKS = [1 / 60, 5 / 60, 15 / 60, 0.5, 1, 2, 4, 8, 24, 72, 168, 720]
_DURATION_LABEL = (
    "datum.value < 1 ? format(datum.value * 60, '.0f') + ' min' : "
    "datum.value < 24 ? format(datum.value, '.0f') + ' h' : format(datum.value / 24, '.0f') + ' d'"
)


def human_hours(value: float) -> str:
    if value is None or pd.isna(value):
        return "–"
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def duration_distribution(points: pd.DataFrame, summary: pd.DataFrame, *, metric: str) -> alt.Chart | None:
    """One metric's distribution per quarter: every incident as a dot, a box for p25-p75, a black tick
    at the median and a red tick at p90; n in the tooltip and above each quarter. Log scale,
    because durations are heavily skewed."""
    pts = points[points["metric"] == metric] if not _empty(points) else points
    summ = summary[summary["metric"] == metric] if not _empty(summary) else summary
    if _empty(pts) or _empty(summ):
        return None
    # Dots show the spread, not every incident: beyond MAX_DOTS per quarter a fixed sample is
    # as readable and keeps the chart small (the box, median, p90 and n use every incident).
    pts = pts.sample(frac=1.0, random_state=0).groupby("quarter").head(MAX_DOTS)[["quarter", "hours"]]
    pts = pts.assign(hours=pts["hours"].clip(lower=1 / 60), took=pts["hours"].map(human_hours))  # 0 cannot sit on a log axis
    summ = summ.assign(
        median_label=summ["median"].map(human_hours),
        p90_label=summ["p90"].map(human_hours),
        p25_label=summ["p25"].map(human_hours),
        p75_label=summ["p75"].map(human_hours),
        p25=summ["p25"].clip(lower=1 / 60),
        median=summ["median"].clip(lower=1 / 60),
        p75=summ["p75"].clip(lower=1 / 60),
        p90=summ["p90"].clip(lower=1 / 60),
        n_label="n=" + summ["n"].astype(str),
    )
    x = alt.X("quarter:O", title="Quarter", sort="ascending", axis=alt.Axis(labelAngle=0))
    y_title = f"{metric} (log scale: min, h, d)"
    scale = alt.Scale(type="log")
    axis = alt.Axis(values=DURATION_TICKS, labelExpr=_DURATION_LABEL, grid=True)
    tooltip = [
        alt.Tooltip("quarter:O", title="Quarter"),
        alt.Tooltip("n:Q", title="Incidents (n)"),
        alt.Tooltip("median_label:N", title="Median"),
        alt.Tooltip("p90_label:N", title="p90"),
        alt.Tooltip("p25_label:N", title="p25"),
        alt.Tooltip("p75_label:N", title="p75"),
    ]
    dots = (
        alt.Chart(pts)
        .mark_circle(size=18, opacity=0.35, color="#4c78a8")
        .encode(
            x=x,
            xOffset=alt.XOffset("jitter:Q", scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("hours:Q", title=y_title, scale=scale, axis=axis),
            tooltip=[alt.Tooltip("quarter:O", title="Quarter"), alt.Tooltip("took:N", title="Took")],
        )
        .transform_calculate(jitter="(random() - 0.5) * 1.2")
    )
    base = alt.Chart(summ)
    box = base.mark_bar(size=26, opacity=0.25, color="#4c78a8").encode(x=x, y=alt.Y("p25:Q", scale=scale, title=y_title, axis=axis), y2="p75:Q", tooltip=tooltip)
    median = base.mark_tick(color="black", thickness=3, size=34).encode(x=x, y=alt.Y("median:Q", scale=scale), tooltip=tooltip)
    p90 = base.mark_tick(color="#d7301f", thickness=2, size=34).encode(x=x, y=alt.Y("p90:Q", scale=scale), tooltip=tooltip)
    n_text = base.mark_text(dy=-10, fontSize=11, color="#444").encode(x=x, y=alt.value(0), text="n_label:N")
    return alt.layer(box, dots, median, p90, n_text, title=f"{metric} per quarter (dots: incidents; box: p25–p75; black: median; red: p90)").properties(
        width=WIDTH, height=300
    )


def theme_heatmap(df: pd.DataFrame) -> alt.Chart | None:
    """Theme x quarter, cell shade = incidents. Columns: theme, quarter, incidents."""
    if _empty(df):
        return None
    order = df.groupby("theme")["incidents"].sum().sort_values(ascending=False).index[:MAX_THEMES].tolist()
    df = df[df["theme"].isin(order)]
    base = alt.Chart(df).encode(
        x=alt.X("quarter:O", title="Quarter", sort="ascending", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("theme:N", title="Theme (most incidents first)", sort=order, axis=alt.Axis(labelLimit=280)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("incidents:Q", title="Incidents (count)", scale=alt.Scale(scheme="orangered")),
        tooltip=[alt.Tooltip("theme:N", title="Theme"), alt.Tooltip("quarter:O", title="Quarter"), alt.Tooltip("incidents:Q", title="Incidents")],
    )
    threshold = float(df["incidents"].max()) * 0.6  # dark cells get white numbers
    labels = base.mark_text(fontSize=11).encode(
        text="incidents:Q", color=alt.condition(f"datum.incidents > {threshold}", alt.value("white"), alt.value("black"))
    )
    n_themes = df["theme"].nunique()
    title = "Incidents per theme and quarter" + (f" (top {MAX_THEMES} themes)" if len(order) == MAX_THEMES else "")
    return alt.layer(cells, labels, title=title).properties(width=WIDTH, height=max(140, 26 * n_themes))


def theme_services(df: pd.DataFrame) -> alt.Chart | None:
    """Stacked bars: theme x incidents, coloured by service. Columns: theme, service, incidents."""
    if _empty(df):
        return None
    themes = df.groupby("theme")["incidents"].sum().sort_values(ascending=False).index[:MAX_THEMES]
    df = df[df["theme"].isin(themes)]
    top = df.groupby("service")["incidents"].sum().sort_values(ascending=False)
    keep = set(top.index[: MAX_GROUPS - 1]) if len(top) > MAX_GROUPS else set(top.index)
    data = df.assign(service=df["service"].where(df["service"].isin(keep), "other"))
    data = data.groupby(["theme", "service"], as_index=False)["incidents"].sum()
    return (
        alt.Chart(data, title="Services per theme")
        .mark_bar()
        .encode(
            y=alt.Y("theme:N", title="Theme", sort="-x", axis=alt.Axis(labelLimit=280)),
            x=alt.X("incidents:Q", title="Incidents (count; an incident counts once per service)"),
            color=alt.Color("service:N", title="Service"),
            tooltip=[alt.Tooltip("theme:N", title="Theme"), alt.Tooltip("service:N", title="Service"), alt.Tooltip("incidents:Q", title="Incidents")],
        )
        .properties(width=WIDTH, height=max(140, 26 * data["theme"].nunique()))
    )


def completion(df: pd.DataFrame, *, by: str) -> alt.Chart | None:
    """Stacked bars of action-item status per group. Columns: group, done, open, wont_fix, items, done_pct."""
    if _empty(df):
        return None
    long = df.melt(id_vars=["group", "items", "done_pct"], value_vars=["done", "open", "wont_fix"], var_name="status", value_name="count")
    long["status"] = long["status"].replace({"wont_fix": "won't fix"})
    label = {"quarter": "Quarter of incident", "team": "Team", "priority": "Priority", "kind": "Type"}.get(by, by)
    return (
        alt.Chart(long, title=f"Action items by status, per {label.lower()}")
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=label, sort="ascending", axis=alt.Axis(labelAngle=0 if by == "quarter" else -30, labelLimit=160)),
            y=alt.Y("count:Q", title="Action items (count)"),
            color=alt.Color(
                "status:N", title="Status", scale=alt.Scale(domain=["done", "open", "won't fix"], range=["#1a9850", "#d73027", "#bdbdbd"])
            ),
            order=alt.Order("status:N"),
            tooltip=[
                alt.Tooltip("group:N", title=label),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("count:Q", title="Items"),
                alt.Tooltip("items:Q", title="All items in group"),
                alt.Tooltip("done_pct:Q", title="Done (%)", format=".1f"),
            ],
        )
        .properties(width=WIDTH, height=300)
    )


def overdue_age(df: pd.DataFrame) -> alt.Chart | None:
    """Histogram of days overdue. Columns: days_overdue."""
    if _empty(df):
        return None
    return (
        alt.Chart(df, title="How long overdue items have been overdue")
        .mark_bar(color="#d73027")
        .encode(
            x=alt.X("days_overdue:Q", bin=alt.Bin(maxbins=20), title="Days past due date"),
            y=alt.Y("count():Q", title="Action items (count)"),
            tooltip=[alt.Tooltip("days_overdue:Q", bin=alt.Bin(maxbins=20), title="Days overdue"), alt.Tooltip("count():Q", title="Items")],
        )
        .properties(width=WIDTH, height=220)
    )


def timeline(df: pd.DataFrame) -> alt.Chart | None:
    """One incident's timeline: a dot per placed event on a UTC time axis, event text on the y axis."""
    if _empty(df):
        return None
    placed = df[df["at"].notna()].copy()
    if placed.empty:
        return None
    placed["event"] = placed["text"].fillna("").str.slice(0, 70) + placed["text"].fillna("").map(lambda t: "…" if len(t) > 70 else "")
    placed["event"] = placed["seq"].astype(str).str.zfill(3) + " " + placed["event"]
    order = list(placed["event"])
    # Explicit "Z" so the browser reads UTC, and a UTC scale so it shows UTC, whatever its zone.
    placed["at_utc"] = pd.to_datetime(placed["at"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    placed["when"] = pd.to_datetime(placed["at"]).dt.strftime("%Y-%m-%d %H:%M")
    placed = placed.drop(columns=["at"])
    base = alt.Chart(placed).encode(
        x=alt.X("at_utc:T", title=f"Time (UTC), from {placed['when'].iloc[0]}", scale=alt.Scale(type="utc"),
                axis=alt.Axis(labelExpr="utcFormat(datum.value, '%H:%M')", labelAngle=0)),
        y=alt.Y("event:N", title=None, sort=order, axis=alt.Axis(labelLimit=420, labelExpr="substring(datum.label, 4)", grid=True)),
        tooltip=[alt.Tooltip("when:N", title="Time (UTC)"), alt.Tooltip("raw_time:N", title="As written"), alt.Tooltip("text:N", title="Event")],
    )
    return base.mark_circle(size=90, color="#4c78a8").properties(
        title="Timeline (UTC)", width=WIDTH, height=max(120, 28 * len(placed))
    )


def completeness_by_quarter(df: pd.DataFrame, *, complete_at: int) -> alt.Chart | None:
    """Completeness scores per quarter: box plot plus the 'complete' threshold. Columns: quarter, completeness."""
    if _empty(df):
        return None
    box = (
        alt.Chart(df)
        .mark_boxplot(extent="min-max", size=26, color="#4c78a8")
        .encode(
            x=alt.X("quarter:O", title="Quarter", sort="ascending", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("completeness:Q", title="Completeness score (0–100)", scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("quarter:O", title="Quarter"), alt.Tooltip("completeness:Q", title="Score")],
        )
    )
    threshold = alt.Chart(pd.DataFrame({"y": [complete_at]})).mark_rule(color="#1a9850", strokeDash=[6, 4]).encode(
        y="y:Q", tooltip=[alt.Tooltip("y:Q", title="Counts as complete at")]
    )
    return alt.layer(box, threshold, title=f"Postmortem completeness per quarter (dashed: complete at {complete_at})").properties(width=WIDTH, height=280)


def lint_rules(df: pd.DataFrame) -> alt.Chart | None:
    """Most common lint findings per quarter. Columns: quarter, rule, severity, findings."""
    if _empty(df):
        return None
    return (
        alt.Chart(df, title="Most common postmortem quality findings, per quarter")
        .mark_bar()
        .encode(
            x=alt.X("quarter:O", title="Quarter", sort="ascending", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("findings:Q", title="Findings (count)"),
            color=alt.Color("rule:N", title="Rule", legend=alt.Legend(labelLimit=240)),
            tooltip=[
                alt.Tooltip("quarter:O", title="Quarter"),
                alt.Tooltip("rule:N", title="Rule"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("findings:Q", title="Findings"),
                alt.Tooltip("incidents:Q", title="Incidents"),
            ],
        )
        .properties(width=WIDTH, height=300)
    )


def category_breakdown(df: pd.DataFrame) -> alt.Chart | None:
    """Fishbone categories of contributing factors. Columns: category, factors, incidents."""
    return ranked_bars(
        df, category="category", value="factors", title="Contributing factors by category (fishbone)",
        category_title="Category", value_title="Contributing factors (count)",
    )


PROVENANCE_ORDER = ["stated", "inferred", "missing"]
PROVENANCE_SCALE = alt.Scale(domain=PROVENANCE_ORDER, range=["#2c7fb8", "#fdae61", "#d9d9d9"])


def field_provenance(df: pd.DataFrame) -> alt.Chart | None:
    """Per field, the share of incidents whose value the write-up states, the build inferred (from
    a timeline, the prose, the catalog or the corpus), or that has none. Columns: label,
    provenance, incidents, share, sources (query order = field order)."""
    if _empty(df) or df["incidents"].sum() == 0:
        return None
    order = list(dict.fromkeys(df["label"]))
    data = df.assign(order=df["provenance"].map(PROVENANCE_ORDER.index), sources=df["sources"].fillna("—"))
    return (
        alt.Chart(data, title="Where each field's value comes from (share of incidents)")
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=order),
            x=alt.X("share:Q", title="Share of incidents (%)", stack="zero", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("provenance:N", title="Value", scale=PROVENANCE_SCALE, sort=PROVENANCE_ORDER),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("label:N", title="Field"),
                alt.Tooltip("provenance:N", title="Value"),
                alt.Tooltip("incidents:Q", title="Incidents"),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
                alt.Tooltip("sources:N", title="From"),
            ],
        )
        .properties(width=WIDTH, height=36 * len(order))
    )
