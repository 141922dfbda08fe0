"""Chart builders: pure functions from a query's DataFrame to an Altair chart.

Each returns None when there is nothing to draw, so the page shows a friendly message instead
of an empty axis. Every chart has a title, axis titles with units and tooltips. Severity colours
run from dark red (SEV1, most alarming) to a calm blue-grey (SEV4).
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import numpy as np
import pandas as pd

from pipelines.quarters import Quarter, parse_quarter

SEVERITY_ORDER = ["SEV1", "SEV2", "SEV3", "SEV4", "unknown"]
SEVERITY_COLORS = ["#7f0000", "#d7301f", "#fc8d59", "#9ecae1", "#bdbdbd"]
SEVERITY_SCALE = alt.Scale(domain=SEVERITY_ORDER, range=SEVERITY_COLORS)
STATUS_ORDER = ["done", "in_progress", "open", "wont_fix"]
STATUS_COLORS = ["#1a9850", "#fee08b", "#d73027", "#bdbdbd"]
LINT_SEVERITY_SCALE = alt.Scale(domain=["error", "warning", "info"], range=["#d73027", "#fc8d59", "#9ecae1"])
MAX_GROUPS = 8  # more lines than this on one chart are unreadable; the rest become "other"
MAX_THEMES = 20  # rows in the failure-mode heatmap; the table above it lists them all
WIDTH = "container"
MAX_DOTS = 60  # dots per quarter in duration charts: enough to show the spread
# Distinct hues for groups (Tableau 10 without its grey): Streamlit's default palette pairs a
# dark and a light shade of each hue, which made two teams look like one. Grey is "other".
GROUP_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]
OTHER_COLOR = "#bab0ac"
MAX_QUARTER_LABELS = 16  # beyond this many quarters, per-quarter text (n=, cell counts) would collide
IN_PROGRESS_COLOR = "#f0f0f0"


def severity_scale(present: pd.Series) -> alt.Scale:
    """The severity colours, for the severities present only: a corpus that never states one
    gets a one-entry legend ("unknown"), not four colours nobody uses."""
    seen = set(present)
    pairs = [(s, c) for s, c in zip(SEVERITY_ORDER, SEVERITY_COLORS) if s in seen]
    return alt.Scale(domain=[s for s, _ in pairs], range=[c for _, c in pairs]) if pairs else SEVERITY_SCALE


def group_scale(groups: list[str]) -> alt.Scale:
    """Colours for a chart's groups, largest first; a group named "(other ...)" is grey."""
    named = [g for g in groups if not str(g).startswith("(other ")]
    other = [g for g in groups if str(g).startswith("(other ")]
    colors = [GROUP_COLORS[i % len(GROUP_COLORS)] for i in range(len(named))] + [OTHER_COLOR] * len(other)
    return alt.Scale(domain=named + other, range=colors)


def _quarter_of(value: object) -> Quarter:
    if isinstance(value, Quarter):
        return value
    if isinstance(value, str):
        return parse_quarter(value)
    return Quarter.of(pd.Timestamp(value).date())


def with_quarter_span(df: pd.DataFrame, column: str = "quarter") -> pd.DataFrame:
    """Add q_start, q_mid, q_end (ISO dates, read by Vega as UTC) for each row's quarter, so a
    quarter axis is a true time scale: empty quarters leave a gap instead of disappearing."""
    quarters = df[column].map(_quarter_of)
    start = quarters.map(lambda q: q.start)
    end = quarters.map(lambda q: q.end)
    mid = [s + (e - s) / 2 for s, e in zip(start, end)]
    return df.assign(q_start=start.map(date.isoformat), q_mid=[m.isoformat() for m in mid], q_end=end.map(date.isoformat),
                     q_label=quarters.map(str))


def quarter_axis(starts: pd.Series) -> alt.Axis:
    """A time axis for quarters (on a UTC scale, which formats in UTC; Vega-Lite drops a format
    given with formatType "utc"): a tick and a "2026Q3" label (quarters are written so everywhere
    else) at each quarter's start when few enough fit, else a tick per year (or fewer) labelled
    with the year."""
    quarters = sorted({_quarter_of(v) for v in starts})
    span = (quarters[-1].year - quarters[0].year) * 4 + quarters[-1].q - quarters[0].q + 1 if quarters else 0
    if span <= MAX_QUARTER_LABELS:  # a tick at each quarter's start; none at the end of the last one
        ticks, q = [], quarters[0]
        while q <= quarters[-1]:
            ticks.append(_utc(q.start))
            q = q.next()
        return alt.Axis(format="%YQ%q", values=ticks, labelAlign="left", labelAngle=0, grid=False)
    years = span / 4
    step = 1 if years <= 20 else 5 if years <= 100 else 50
    return alt.Axis(format="%Y", tickCount={"interval": "year", "step": step}, labelAngle=0, grid=False)


def _utc(day: date) -> dict[str, object]:
    """A Vega-Lite DateTime at midnight UTC: the dict alt.DateTime serialises to, built directly
    (a chart places dozens of ticks, and each Altair object costs a schema lookup)."""
    return {"year": day.year, "month": day.month, "date": day.day, "utc": True}


def _quarter_axis_and_scale(quarters: pd.Series) -> tuple[alt.Axis, alt.Scale]:
    qs = sorted({_quarter_of(v) for v in quarters})
    return quarter_axis(quarters), alt.Scale(type="utc", domain=[_utc(qs[0].start), _utc(qs[-1].end)])


def _x_quarter(field: str, quarters: pd.Series, title: str = "Quarter") -> alt.X:
    """x on a UTC time scale from the first quarter's start to the last one's end, so the first
    quarter gets its tick and label and bars inset within their quarter never fall off an edge."""
    axis, scale = _quarter_axis_and_scale(quarters)
    return alt.X(f"{field}:T", title=title, axis=axis, scale=scale)


def stack(df: pd.DataFrame, *, by: str, value: str, order: list[str], layer: str) -> pd.DataFrame:
    """Add y0/y1 (bottom and top of each segment) for bars stacked by hand: Vega-Lite does not
    stack bars that span a time range (x and x2), it draws them as thin horizontal bars."""
    rank = {v: i for i, v in enumerate(order)}
    out = df.assign(_rank=df[layer].map(rank).fillna(len(rank))).sort_values([by, "_rank"], kind="stable")
    out["y1"] = out.groupby(by)[value].cumsum()
    out["y0"] = out["y1"] - out[value]
    return out.drop(columns="_rank")


def in_progress_band(quarters: pd.Series, today: date | None) -> alt.Chart | None:
    """A grey band over the quarter holding `today`, when the data reaches it: its counts are partial."""
    if today is None or quarters.empty:
        return None
    current = Quarter.of(today)
    if max(_quarter_of(v) for v in quarters) < current:
        return None
    band = pd.DataFrame({"q_start": [current.start.isoformat()], "q_end": [current.end.isoformat()],
                         "note": [f"{current} in progress: partial counts"]})
    base = alt.Chart(band)
    x = _x_quarter("q_start", quarters)
    rect = base.mark_rect(color=IN_PROGRESS_COLOR).encode(x=x, x2="q_end:T", tooltip=[alt.Tooltip("note:N", title="Note")])
    text = base.mark_text(align="left", baseline="top", dx=3, dy=3, fontSize=10, color="#666").encode(
        x=x, y=alt.value(0), text=alt.value("in progress")
    )
    return alt.layer(rect, text)


def _empty(df: pd.DataFrame | None) -> bool:
    return df is None or df.empty


MONTHS_BY_MONTH = 72  # a month axis longer than this draws bars too thin to see: bin by quarter


def incidents_per_month(df: pd.DataFrame) -> alt.Chart | None:
    """Stacked bars: month (or quarter, over a long range) x incidents, coloured by severity.
    Columns: month, severity, incidents."""
    if _empty(df):
        return None
    months = pd.to_datetime(df["month"])
    span = (months.max().year - months.min().year) * 12 + months.max().month - months.min().month + 1
    by_quarter = span > MONTHS_BY_MONTH
    unit, period, fmt = ("utcyearquarter", "quarter", "%YQ%q") if by_quarter else ("utcyearmonth", "month", "%B %Y")
    data = df.assign(month=months.dt.strftime("%Y-%m-%d"))  # date-only ISO strings: Vega reads them as UTC
    return (
        alt.Chart(data, title=f"Incidents per {period}, by severity")
        .mark_bar()
        .encode(
            x=alt.X(f"{unit}(month):T", title=period.capitalize(), scale=alt.Scale(type="utc"),
                    axis=alt.Axis(format="%Y" if by_quarter else "%b %Y", labelAngle=0 if by_quarter else -40)),
            y=alt.Y("sum(incidents):Q", title="Incidents (count)", stack="zero", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("severity:N", title="Severity", scale=severity_scale(data["severity"]), sort=SEVERITY_ORDER),
            order=alt.Order("severity_rank:Q"),
            tooltip=[
                alt.Tooltip(f"{unit}(month):T", title=period.capitalize(), format=fmt, formatType="utc"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("sum(incidents):Q", title="Incidents"),
            ],
        )
        .transform_calculate(severity_rank=f"indexof({SEVERITY_ORDER!r}, datum.severity)")
        .properties(width=WIDTH, height=280)
    )


BAR_STEP = 26  # pixels per bar in ranked bars: room for a label on every bar


def ranked_bars(
    df: pd.DataFrame, *, category: str, value: str, title: str, category_title: str, value_title: str,
    total: int | None = None, share_title: str | None = None,
) -> alt.Chart | None:
    """Horizontal bars, longest first (top services, top themes, lint rules...).

    With `total`, the bars show `value` as a share of it (%): for groups an incident can belong
    to several of, where counts would add up to more than the incidents there are."""
    if _empty(df):
        return None
    tooltip = [alt.Tooltip(f"{category}:N", title=category_title), alt.Tooltip(f"{value}:Q", title=value_title)]
    if total:
        df = df.assign(share=100.0 * df[value] / total)
        x = alt.X("share:Q", title=share_title or f"Share of {total} (%)", scale=alt.Scale(zero=True, domainMax=float(max(100.0 * df[value].max() / total, 10))))
        tooltip.append(alt.Tooltip("share:Q", title="Share (%)", format=".0f"))
    else:
        x = alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(tickMinStep=1))
    return (
        alt.Chart(df, title=title)
        .mark_bar(color="#4c78a8")
        .encode(
            # no y title: the chart title names the category, and a rotated title collides with long labels
            y=alt.Y(f"{category}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260, labelOverlap=False)),
            x=x,
            tooltip=tooltip,
        )
        .properties(width=WIDTH, height=max(120, BAR_STEP * len(df)))
    )


def _without_inner_zeros(df: pd.DataFrame) -> pd.DataFrame:
    """Drop a group's zero quarters that lie between two zero quarters: the line is drawn the
    same (flat at 0 from the first zero of a run to its last), and a corpus reaching back to 1628
    no longer sends 1,600 quarters x 8 groups of zeros to the browser."""
    df = df.sort_values(["group", "quarter_start" if "quarter_start" in df else "quarter"], kind="stable")
    zero = df["incidents"].eq(0)
    by_group = zero.groupby(df["group"])
    inner = zero & by_group.shift(1, fill_value=False).astype(bool) & by_group.shift(-1, fill_value=False).astype(bool)
    return df[~inner].reset_index(drop=True)


def incidents_by_group(df: pd.DataFrame, *, dimension: str, today: date | None = None) -> alt.Chart | None:
    """Lines per group over quarters, on a time axis; the quarter holding `today` is shaded as
    in progress. Columns: quarter, group, incidents (distinct incidents, folded and zero-filled
    by the query: pipelines/read/trends.py)."""
    if _empty(df):
        return None
    data = with_quarter_span(_without_inner_zeros(df))
    order = data.groupby("group")["incidents"].sum().sort_values(ascending=False, kind="stable").index.tolist()
    label = dimension.capitalize()
    base = alt.Chart(data).encode(
        x=_x_quarter("q_mid", data["quarter"]),
        y=alt.Y("incidents:Q", title=f"Incidents (count of distinct incidents per {dimension})", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("group:N", title=label, scale=group_scale(order), sort=order, legend=alt.Legend(labelLimit=220)),
        tooltip=[
            alt.Tooltip("q_label:N", title="Quarter"),
            alt.Tooltip("group:N", title=label),
            alt.Tooltip("incidents:Q", title="Incidents"),
        ],
    )
    layers = [base.mark_line(), base.mark_point(filled=True, size=40)]
    band = in_progress_band(data["quarter"], today)
    if band is not None:
        layers.insert(0, band)
    return alt.layer(*layers, title=f"Incidents per quarter, by {dimension}").properties(width=WIDTH, height=320)


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


def _jittered(starts: pd.Series, ends: pd.Series, seed: int = 0) -> list[str]:
    """A fixed pseudo-random date inside each quarter's middle 70 %, so dots spread sideways."""
    rng = np.random.default_rng(seed)
    out = []
    for s_, e_ in zip(starts, ends):
        s0, e0 = date.fromisoformat(s_), date.fromisoformat(e_)
        days = (e0 - s0).days
        out.append((s0 + timedelta(days=int(days * (0.15 + 0.7 * rng.random())))).isoformat())
    return out


def _inset(starts: pd.Series, ends: pd.Series, share: float = 0.12) -> tuple[list[str], list[str]]:
    """Each quarter's span shrunk by `share` at both ends, so boxes of adjacent quarters do not touch."""
    lo, hi = [], []
    for s_, e_ in zip(starts, ends):
        s0, e0 = date.fromisoformat(s_), date.fromisoformat(e_)
        pad = timedelta(days=int((e0 - s0).days * share))
        lo.append((s0 + pad).isoformat())
        hi.append((e0 - pad).isoformat())
    return lo, hi


def duration_distribution(points: pd.DataFrame, summary: pd.DataFrame, *, metric: str, min_sample: int = 5) -> alt.Chart | None:
    """One metric's distribution per quarter on a time axis: every incident as a dot, a box for
    p25-p75, a black line at the median and a red one at p90; n in the tooltip, and above each
    quarter while few enough quarters are shown for the labels to stay apart. Quarters with fewer
    than `min_sample` incidents are drawn faint (too few to compare). Log scale, because durations
    are heavily skewed."""
    pts = points[points["metric"] == metric] if not _empty(points) else points
    summ = summary[summary["metric"] == metric] if not _empty(summary) else summary
    if _empty(pts) or _empty(summ):
        return None
    # Dots show the spread, not every incident: beyond MAX_DOTS per quarter a fixed sample is
    # as readable and keeps the chart small (the box, median, p90 and n use every incident).
    pts = pts.sample(frac=1.0, random_state=0).groupby("quarter").head(MAX_DOTS)[["quarter", "hours"]]
    pts = with_quarter_span(pts)
    pts = pts.assign(hours=pts["hours"].clip(lower=1 / 60), took=pts["hours"].map(human_hours),  # 0 cannot sit on a log axis
                     at=_jittered(pts["q_start"], pts["q_end"]))
    summ = with_quarter_span(summ)
    box_lo, box_hi = _inset(summ["q_start"], summ["q_end"])
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
        box_lo=box_lo,
        box_hi=box_hi,
        enough=summ["n"] >= min_sample,
    )
    x_axis, x_scale = _quarter_axis_and_scale(summ["quarter"])  # built once: five layers use it

    def x(field: str) -> alt.X:  # one x definition for every layer, so they share one axis
        return alt.X(f"{field}:T", title="Quarter", axis=x_axis, scale=x_scale)

    y_title = f"{metric} (log scale: min, h, d)"
    scale = alt.Scale(type="log")
    axis = alt.Axis(values=DURATION_TICKS, labelExpr=_DURATION_LABEL, grid=True)
    tooltip = [
        alt.Tooltip("q_label:N", title="Quarter"),
        alt.Tooltip("n:Q", title="Incidents (n)"),
        alt.Tooltip("median_label:N", title="Median"),
        alt.Tooltip("p90_label:N", title="p90"),
        alt.Tooltip("p25_label:N", title="p25"),
        alt.Tooltip("p75_label:N", title="p75"),
    ]
    faint = alt.condition("datum.enough", alt.value(1.0), alt.value(0.35))
    dots = (
        alt.Chart(pts)
        .mark_circle(size=18, opacity=0.35, color="#4c78a8")
        .encode(
            x=x("at"),
            y=alt.Y("hours:Q", title=y_title, scale=scale, axis=axis),
            tooltip=[alt.Tooltip("q_label:N", title="Quarter"), alt.Tooltip("took:N", title="Took")],
        )
    )
    base = alt.Chart(summ)
    box = base.mark_rect(color="#4c78a8").encode(
        x=x("box_lo"), x2="box_hi:T", y=alt.Y("p25:Q", scale=scale, title=y_title, axis=axis), y2="p75:Q", tooltip=tooltip,
        opacity=alt.condition("datum.enough", alt.value(0.25), alt.value(0.08)),
    )
    median = base.mark_rule(color="black", strokeWidth=3).encode(
        x=x("box_lo"), x2="box_hi:T", y=alt.Y("median:Q", scale=scale), tooltip=tooltip, opacity=faint
    )
    p90 = base.mark_rule(color="#d7301f", strokeWidth=2).encode(
        x=x("box_lo"), x2="box_hi:T", y=alt.Y("p90:Q", scale=scale), tooltip=tooltip, opacity=faint
    )
    layers = [box, dots, median, p90]
    if summ["quarter"].nunique() <= MAX_QUARTER_LABELS:  # more would run together ("n=1n=1n=1")
        layers.append(base.mark_text(dy=-10, fontSize=11, color="#444").encode(x=x("q_mid"), y=alt.value(0), text="n_label:N"))
    title = f"{metric} per quarter (dots: incidents; box: p25–p75; black: median; red: p90; faint: n < {min_sample})"
    return alt.layer(*layers, title=title).properties(width=WIDTH, height=300)


MAX_CELL_NUMBERS = 40  # quarters on a heatmap up to which each cell can carry its number


def mode_heatmap(df: pd.DataFrame) -> alt.Chart | None:
    """Failure mode x quarter on a time axis, cell shade = incidents (the trend of each mode;
    empty quarters are gaps). Columns: name, quarter, incidents."""
    if _empty(df):
        return None
    order = df.groupby("name")["incidents"].sum().sort_values(ascending=False).index[:MAX_THEMES].tolist()
    df = with_quarter_span(df[df["name"].isin(order)])
    lo, hi = _inset(df["q_start"], df["q_end"], share=0.04)
    df = df.assign(cell_lo=lo, cell_hi=hi)
    base = alt.Chart(df).encode(
        x=_x_quarter("cell_lo", df["quarter"]),
        x2="cell_hi:T",
        # No y title: the chart title names the rows, and a rotated title sits on top of long labels.
        y=alt.Y("name:N", title=None, sort=order, axis=alt.Axis(labelLimit=320)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("incidents:Q", title="Incidents (count)", scale=alt.Scale(scheme="orangered")),
        tooltip=[alt.Tooltip("name:N", title="Failure mode"), alt.Tooltip("q_label:N", title="Quarter"), alt.Tooltip("incidents:Q", title="Incidents")],
    )
    layers = [cells]
    if df["quarter"].nunique() <= MAX_CELL_NUMBERS:
        threshold = float(df["incidents"].max()) * 0.6  # dark cells get white numbers
        layers.append(alt.Chart(df).mark_text(fontSize=11).encode(
            x=_x_quarter("q_mid", df["quarter"]),
            y=alt.Y("name:N", title=None, sort=order),
            text="incidents:Q", color=alt.condition(f"datum.incidents > {threshold}", alt.value("white"), alt.value("black")),
        ))
    n_modes = df["name"].nunique()
    title = "Incidents per failure mode and quarter, most incidents first" + (f" (top {MAX_THEMES} modes)" if len(order) == MAX_THEMES else "")
    return alt.layer(*layers, title=title).properties(width=WIDTH, height=max(140, 26 * n_modes))


def completion(df: pd.DataFrame, *, by: str) -> alt.Chart | None:
    """Stacked bars of action-item status per group. Columns: group, done, open, wont_fix, items, done_pct."""
    if _empty(df):
        return None
    long = df.melt(id_vars=["group", "items", "done_pct"], value_vars=["done", "open", "wont_fix"], var_name="status", value_name="count")
    long["status"] = long["status"].replace({"wont_fix": "won't fix"})
    label = {"quarter": "Quarter of incident", "team": "Team", "priority": "Priority", "kind": "Type"}.get(by, by)
    statuses = ["done", "open", "won't fix"]
    if by == "quarter":
        long = stack(with_quarter_span(long, "group"), by="group", value="count", order=statuses, layer="status")
        lo, hi = _inset(long["q_start"], long["q_end"])
        long = long.assign(bar_lo=lo, bar_hi=hi)
        position: dict = {"x": _x_quarter("bar_lo", long["group"], title=label), "x2": "bar_hi:T",
                          "y": alt.Y("y0:Q", title="Action items (count)", axis=alt.Axis(tickMinStep=1)), "y2": "y1:Q"}
    else:
        position = {"x": alt.X("group:N", title=label, sort="ascending", axis=alt.Axis(labelAngle=-30, labelLimit=160)),
                    "y": alt.Y("count:Q", title="Action items (count)", axis=alt.Axis(tickMinStep=1))}
    return (
        alt.Chart(long, title=f"Action items by status, per {label.lower()}")
        .mark_bar()
        .encode(
            **position,
            color=alt.Color(
                "status:N", title="Status", scale=alt.Scale(domain=statuses, range=["#1a9850", "#d73027", "#bdbdbd"])
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


def time_to_close(df: pd.DataFrame, *, by: str, min_sample: int = 5) -> alt.Chart | None:
    """Per group, a bar from the median (dot) to p90 (tick) of days to close, with n beside it;
    groups below `min_sample` are drawn pale. Columns: group, n, p50_days, p90_days."""
    if _empty(df):
        return None
    label = {"quarter": "Quarter of incident", "team": "Team", "priority": "Priority"}.get(by, by)
    d = df.assign(
        n_label=[f"n = {n}" for n in df["n"]],
        sample=["enough" if n >= min_sample else f"fewer than {min_sample}" for n in df["n"]],
    )
    y = alt.Y("group:N", title=label, sort=list(d["group"]), axis=alt.Axis(labelLimit=180))
    opacity = alt.Opacity("sample:N", title="Sample", scale=alt.Scale(domain=["enough", f"fewer than {min_sample}"], range=[1.0, 0.35]))
    tooltip = [alt.Tooltip("group:N", title=label), alt.Tooltip("n:Q", title="Items closed"),
               alt.Tooltip("p50_days:Q", title="Median (days)", format=".1f"), alt.Tooltip("p90_days:Q", title="p90 (days)", format=".1f")]
    base = alt.Chart(d).encode(y=y, tooltip=tooltip)
    spread = base.mark_bar(height=6, color="#9ecae1").encode(
        x=alt.X("p50_days:Q", title="Days from opening to closing (dot: median, tick: p90)"), x2="p90_days:Q", opacity=opacity)
    median = base.mark_circle(size=90, color="#08519c").encode(x="p50_days:Q", opacity=opacity)
    p90 = base.mark_tick(thickness=2, size=16, color="#08519c").encode(x="p90_days:Q", opacity=opacity)
    n_text = base.mark_text(align="left", dx=8, color="#555").encode(x="p90_days:Q", text="n_label:N")
    return (
        alt.layer(spread, median, p90, n_text, title=f"Time to close action items, per {label.lower()}")
        .properties(width=WIDTH, height=max(120, BAR_STEP * len(d)))
    )


def open_ageing(df: pd.DataFrame, *, buckets: list[str] | tuple[str, ...]) -> alt.Chart | None:
    """Open items by age bucket, stacked by team. Columns: bucket, team, items."""
    if _empty(df):
        return None
    teams = list(df.groupby("team")["items"].sum().sort_values(ascending=False).index)
    return (
        alt.Chart(df, title="Open action items by age")
        .mark_bar()
        .encode(
            y=alt.Y("bucket:N", title="Open for", sort=list(buckets)),
            x=alt.X("sum(items):Q", title="Open action items (count)"),
            color=alt.Color("team:N", title="Team", scale=group_scale(teams), sort=teams),
            order=alt.Order("team:N"),
            tooltip=[alt.Tooltip("bucket:N", title="Open for"), alt.Tooltip("team:N", title="Team"), alt.Tooltip("sum(items):Q", title="Items")],
        )
        .properties(width=WIDTH, height=max(120, BAR_STEP * len(buckets)))
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
    """Completeness scores per quarter on a time axis: a box (p25-p75), whiskers (min-max) and a
    median line per quarter, plus the 'complete' threshold. Columns: quarter, completeness."""
    if _empty(df):
        return None
    stats = df.groupby("quarter")["completeness"].describe()[["count", "min", "25%", "50%", "75%", "max"]]
    stats = with_quarter_span(stats.reset_index().rename(columns={"count": "n", "25%": "p25", "50%": "median", "75%": "p75"}))
    lo, hi = _inset(stats["q_start"], stats["q_end"])
    stats = stats.assign(box_lo=lo, box_hi=hi, n=stats["n"].astype(int))

    def x(field: str) -> alt.X:
        return _x_quarter(field, stats["quarter"])

    y = alt.Y("p25:Q", title="Completeness score (0–100)", scale=alt.Scale(domain=[0, 100]))
    tooltip = [alt.Tooltip("q_label:N", title="Quarter"), alt.Tooltip("n:Q", title="Postmortems (n)"),
               alt.Tooltip("median:Q", title="Median score"), alt.Tooltip("min:Q", title="Lowest"), alt.Tooltip("max:Q", title="Highest")]
    base = alt.Chart(stats)
    whisker = base.mark_rule(color="#4c78a8").encode(x=x("q_mid"), y=alt.Y("min:Q", title="Completeness score (0–100)",
                                                                          scale=alt.Scale(domain=[0, 100])), y2="max:Q", tooltip=tooltip)
    box = base.mark_rect(color="#4c78a8", opacity=0.6).encode(x=x("box_lo"), x2="box_hi:T", y=y, y2="p75:Q", tooltip=tooltip)
    median = base.mark_rule(color="white", strokeWidth=2).encode(x=x("box_lo"), x2="box_hi:T", y="median:Q", tooltip=tooltip)
    threshold = alt.Chart(pd.DataFrame({"y": [complete_at]})).mark_rule(color="#1a9850", strokeDash=[6, 4]).encode(
        y="y:Q", tooltip=[alt.Tooltip("y:Q", title="Counts as complete at")]
    )
    title = f"Postmortem completeness per quarter (box: p25–p75, line: median, whiskers: min–max; dashed: complete at {complete_at})"
    return alt.layer(whisker, box, median, threshold, title=title).properties(width=WIDTH, height=280)


def lint_rules(df: pd.DataFrame) -> alt.Chart | None:
    """Most common lint findings per quarter, on a time axis. Columns: quarter, rule, severity, findings."""
    if _empty(df):
        return None
    rules = df.groupby("rule")["findings"].sum().sort_values(ascending=False, kind="stable").index.tolist()
    if len(rules) > len(GROUP_COLORS):  # one colour per rule: the rarest share "(other rules)"
        keep = set(rules[: len(GROUP_COLORS) - 1])
        df = df.assign(rule=df["rule"].where(df["rule"].isin(keep), "(other rules)"))
        df = df.groupby(["quarter", "rule"], as_index=False).agg(findings=("findings", "sum"), incidents=("incidents", "max"),
                                                                  severity=("severity", "first"))
        rules = [r for r in rules if r in keep] + ["(other rules)"]
    data = stack(with_quarter_span(df), by="quarter", value="findings", order=rules, layer="rule")
    lo, hi = _inset(data["q_start"], data["q_end"])
    data = data.assign(bar_lo=lo, bar_hi=hi)
    return (
        alt.Chart(data, title="Most common postmortem quality findings, per quarter")
        .mark_bar()
        .encode(
            x=_x_quarter("bar_lo", data["quarter"]),
            x2="bar_hi:T",
            y=alt.Y("y0:Q", title="Findings (count)"),
            y2="y1:Q",
            color=alt.Color("rule:N", title="Rule", legend=alt.Legend(labelLimit=240), scale=group_scale(rules)),
            tooltip=[
                alt.Tooltip("q_label:N", title="Quarter"),
                alt.Tooltip("rule:N", title="Rule"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("findings:Q", title="Findings"),
                alt.Tooltip("incidents:Q", title="Incidents"),
            ],
        )
        .properties(width=WIDTH, height=300)
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
