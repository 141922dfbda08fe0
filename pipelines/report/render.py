"""`hindsight report`: the quarterly review as Markdown or as one standalone HTML file.

Both formats render the same document model (sections of paragraphs, tables and chart slots),
so they cannot drift apart. Every string that came from a postmortem is escaped by the renderer
(HTML entities in HTML; Markdown punctuation and angle brackets in Markdown).

The HTML file has no external resources at all: charts are rendered to SVG by vl-convert and
inlined, and a Content-Security-Policy meta tag forbids scripts, network fetches, frames and
forms, so a hostile title can neither run nor phone home even if an escape were missed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import duckdb

from pipelines.report import review as rv
from pipelines.model import SEVERITIES
from pipelines.quarters import Quarter
from pipelines.report.redact import Redactor
from pipelines.report.review import QuarterlyReview

ENV_DB = "HINDSIGHT_DB"
TOP_REPEATS = 10  # a review is one page: the longest repeat chains, not every pair
DEFAULT_DB = Path("data/hindsight.duckdb")


# ---- document model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    numeric: tuple[int, ...] = ()  # column indexes to right-align
    wrap: tuple[int, ...] = ()  # columns of free text that may wrap; the others stay on one line


@dataclass(frozen=True)
class Chart:
    name: str  # an id from review_charts.review_charts


Block = str | Table | Chart | list  # a list is a bulleted list of strings


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: list[Block]


def fmt_minutes(minutes: float | None) -> str:
    if minutes is None:
        return "–"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def fmt_days(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} d" if value >= 10 else f"{value:.1f} d"


def fmt_close(a: rv.ActionHealth) -> str:
    """'8.5 d / 47 d (n = 12)', or '–' when no closed item has a close time (no tracker export)."""
    if not a.closed_known:
        return "–"
    return f"{fmt_days(a.close_p50_days)} / {fmt_days(a.close_p90_days)} (n = {a.closed_known})"


def fmt_change(now: int, before: int) -> str:
    diff = now - before
    if diff == 0:
        return "0"
    if before == 0:
        return f"{diff:+d}"
    return f"{diff:+d} ({100 * diff / before:+.0f}%)"


def document(review: QuarterlyReview) -> tuple[str, list[Section]]:
    """The review as a title and sections; pure, so tests can read figures without parsing output."""
    q, p = str(review.quarter), str(review.previous.quarter)
    cur, prev = review.current, review.previous
    title = f"Quarterly reliability review: {q}"
    intro = [f"{q} compared with {p}. Action items as of {review.as_of.isoformat()}."]
    if cur.restricted:
        intro.append(
            f"{cur.restricted} restricted incident(s) are counted in every figure; their titles and details are not shown."
        )
    sections = [Section(title, intro)]

    # No Change column when a change would be noise or partial (QuarterlyReview.comparable): the
    # sentence saying why stands in its place.
    compared = review.comparable

    def row(name: str, now: int, before: int) -> list[str]:
        return [name, str(now), str(before)] + ([fmt_change(now, before)] if compared else [])

    headline_rows = [row("Incidents", cur.incidents, prev.incidents)]
    for sev in SEVERITIES:
        headline_rows.append(row(sev, cur.by_severity[sev], prev.by_severity[sev]))
    if cur.by_severity[rv.UNKNOWN_SEVERITY] or prev.by_severity[rv.UNKNOWN_SEVERITY]:
        u = rv.UNKNOWN_SEVERITY
        headline_rows.append(row("Severity unknown", cur.by_severity[u], prev.by_severity[u]))
    headline_rows.append(row("Repeat incidents", review.repeat_count, review.previous_repeats))
    headline_rows.append(["New themes", str(len(review.new_themes)), ""] + ([""] if compared else []))
    header = ["", q, p] + (["Change"] if compared else [])
    blocks: list = [] if compared else [review.why_not_compared()]
    blocks += [Table(header, headline_rows, numeric=(1, 2, 3) if compared else (1, 2)), Chart("severity")]
    sections.append(Section("Incidents", blocks))

    duration_rows = []
    for name, attr in (("Time to detect", "time_to_detect"), ("Time to resolve", "time_to_resolve")):
        c, b = getattr(cur, attr), getattr(prev, attr)
        duration_rows.append([name, fmt_minutes(c.median), fmt_minutes(c.p90), str(c.n),
                              fmt_minutes(b.median), fmt_minutes(b.p90), str(b.n)])
    sections.append(Section("Durations", [
        "Minutes from the start of impact. Median and 90th percentile, with n = incidents that record both times; "
        "durations are skewed, so no means.",
        Table(["", f"{q} median", f"{q} p90", f"{q} n", f"{p} median", f"{p} p90", f"{p} n"], duration_rows,
              numeric=(1, 2, 3, 4, 5, 6)),
        Chart("resolve"),
        Chart("detect"),
    ]))

    theme_blocks: list[Block] = []
    if review.top_themes:
        theme_blocks.append(Table(
            ["Recurring pattern", f"Incidents {q}", f"Incidents {p}", "First seen"],
            [[t.label + (" (new)" if t.is_new else ""), str(t.incidents), str(t.previous_incidents),
              t.first_seen.isoformat() if t.first_seen else "–"] for t in review.top_themes],
            numeric=(1, 2),
            wrap=(0,),
        ))
        theme_blocks.append(Chart("themes"))
    else:
        theme_blocks.append(f"No recurring patterns were found for incidents in {q}.")
    if review.new_themes:
        theme_blocks.append(f"New this quarter (first seen in {q}):")
        theme_blocks.append([f"{t.label}: {t.incidents} incident(s)" for t in review.new_themes])
    else:
        theme_blocks.append(f"No pattern appeared for the first time in {q}.")
    sections.append(Section("Recurring patterns", theme_blocks))

    repeat_blocks: list[Block] = [
        f"{review.repeat_count} repeat incident(s) in {q} (same failure mode and service as an earlier incident); "
        f"{review.previous_repeats} in {p}."
    ]
    if review.repeats:
        shown = review.repeats[:TOP_REPEATS]
        repeat_blocks.append(Table(
            ["Failure mode", "Service", "Repeats", "Shortest gap (days)"],
            [[r.label, r.service, str(r.repeats), str(r.min_days_between)] for r in shown],
            numeric=(2, 3),
            wrap=(0,),
        ))
        if len(review.repeats) > len(shown):
            repeat_blocks.append(
                f"{len(shown)} of {len(review.repeats)} failure mode and service pairs, most repeats first; "
                "the Repeats page lists them all."
            )
    sections.append(Section("Repeats", repeat_blocks))

    a, b = review.actions, review.previous_actions
    sections.append(Section("Action-item health", [
        f"Action items of the incidents dated in each quarter; overdue = open or in progress and past due on "
        f"{review.as_of.isoformat()}. Completion = done / created. Statuses are the tracker's where an item "
        "is matched to a tracker issue; time to close runs from the issue's creation to its close (docs/tracker.md).",
        Table(["", q, p], [
            ["Created", str(a.created), str(b.created)],
            ["Done", str(a.done), str(b.done)],
            ["Won't fix", str(a.wont_fix), str(b.wont_fix)],
            ["Overdue", str(a.overdue), str(b.overdue)],
            ["No owner", str(a.no_owner), str(b.no_owner)],
            ["No due date", str(a.no_due_date), str(b.no_due_date)],
            ["Completion", fmt_pct(a.completion_pct), fmt_pct(b.completion_pct)],
            ["Incidents with no action items", str(a.incidents_without_items), str(b.incidents_without_items)],
            ["Matched to a tracker issue", str(a.tracked), str(b.tracked)],
            ["Time to close, p50 / p90 (n)", fmt_close(a), fmt_close(b)],
        ], numeric=(1, 2)),
    ]))

    if review.notable:
        notable: list[Block] = [Table(
            ["Why", "Date", "Severity", "Incident", "Services", "Time to resolve"],
            [[n.reason, n.incident_date.isoformat() if n.incident_date else "–", n.severity or "–",
              n.title if n.incident_id is None else f"{n.incident_id}: {n.title}",
              n.service or "–", fmt_minutes(n.resolve_minutes)] for n in review.notable],
            numeric=(5,),
            wrap=(3, 4),
        )]
        listed = sum(1 for n in review.notable if n.reason == "SEV1")
        if cur.by_severity["SEV1"] > listed:
            notable.append(f"{cur.by_severity['SEV1']} SEV1 incidents in {q}; the {listed} that took longest to resolve are listed.")
    else:
        notable = [f"No incidents in {q}."]
    sections.append(Section("Notable incidents", notable))

    notes = list(review.notes)
    if review.undated_incidents:
        notes.append(f"{review.undated_incidents} incident(s) have no date and are in no quarter; "
                     "see the Data quality page.")
    if notes:
        sections.append(Section("Notes", [notes]))
    return title, sections


def redact_review(review: QuarterlyReview, redactor: Redactor) -> QuarterlyReview:
    """The same review with every free-text field passed through the redactor."""
    r = redactor.redact
    return replace(
        review,
        top_themes=[replace(t, label=r(t.label)) for t in review.top_themes],
        new_themes=[replace(t, label=r(t.label)) for t in review.new_themes],
        repeats=[replace(x, label=r(x.label), service=r(x.service)) for x in review.repeats],
        notable=[
            replace(n, title=r(n.title), service=r(n.service) if n.service else n.service,
                    incident_id=r(n.incident_id) if n.incident_id else n.incident_id)
            for n in review.notable
        ],
    )


# ---- Markdown ---------------------------------------------------------------------------------

# Only what can start markup mid-line; parentheses and "+" are harmless once "[" and line starts
# are ours, and escaping them would make the raw file hard to read.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")


def md_escape(text: str, *, line_start: bool = False) -> str:
    """Text safe inside a Markdown paragraph or table cell: no markup, no raw HTML, one line.

    `line_start`: the text begins a line (paragraph, list item), where "#", "-", "1." would
    start a heading or list."""
    text = " ".join(str(text).split())
    text = html.escape(text, quote=False)  # < > & -> entities, so raw HTML never reaches a renderer
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^(\d+(?=[.)])|[#+=-])", r"\\\1", text) if line_start else text


def render_markdown(review: QuarterlyReview) -> str:
    title, sections = document(review)
    out = [f"# {md_escape(title)}", ""]
    for i, section in enumerate(sections):
        if i:
            out += [f"## {md_escape(section.heading)}", ""]
        for block in section.blocks:
            if isinstance(block, Chart):
                continue  # charts are in the HTML export and on the dashboard
            if isinstance(block, Table):
                out.append("| " + " | ".join(md_escape(h) or " " for h in block.header) + " |")
                out.append("|" + "|".join("---:" if j in block.numeric else "---" for j in range(len(block.header))) + "|")
                out += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in block.rows]
            elif isinstance(block, list):
                out += [f"- {md_escape(item, line_start=True)}" for item in block]
            else:
                out.append(md_escape(block, line_start=True))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---- HTML -------------------------------------------------------------------------------------

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; max-width: 980px;
       margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .6rem 0; } th, td { padding: .25rem .6rem; border-bottom: 1px solid #eaeef2;
     text-align: left; vertical-align: top; } th { background: #f6f8fa; } td.num, th.num { text-align: right; }
td { white-space: nowrap; } td.wrap { white-space: normal; }
figure { margin: .8rem 0; } figure svg { max-width: 100%; height: auto; }
.meta { color: #57606a; font-size: .85rem; }
""".strip()


def content_security_policy(css: str = _CSS) -> str:
    """No scripts, no fetches, no frames or forms; only our own stylesheet (by hash) and inline images."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return (
        "default-src 'none'; "
        f"style-src 'sha256-{digest}'; "
        "img-src data:; "
        "font-src 'none'; connect-src 'none'; script-src 'none'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def chart_svgs(review: QuarterlyReview) -> dict[str, str]:
    """Render the review's charts to SVG strings (offline; vl-convert bundles Vega)."""
    import vl_convert as vlc  # heavy import: only the HTML export pays for it

    from pipelines.report.charts import review_charts

    # validate=False: the chart builders' unit tests validate the same specs against the schema.
    return {name: vlc.vegalite_to_svg(chart.to_dict(validate=False)) for name, chart in review_charts(review)}


_ACTIVE_SVG_TAGS = frozenset({"script", "foreignobject", "iframe", "object", "embed", "use", "image", "a"})


def _sanitize_svg(svg: str) -> str:
    """The SVG to inline, after checking it is inert.

    vl-convert escapes chart text, but the SVG is still markup we paste into the page, so we
    parse it and refuse any element or attribute that could run or load something.
    """
    root = ElementTree.fromstring(svg)
    for el in root.iter():
        tag = str(el.tag).rsplit("}", 1)[-1].lower()
        if tag in _ACTIVE_SVG_TAGS:
            raise ValueError(f"chart SVG contains a <{tag}> element; refusing to embed it")
        for key in el.attrib:
            name = key.rsplit("}", 1)[-1].lower()
            if name.startswith("on") or name in ("href", "src", "style"):
                raise ValueError(f"chart SVG has a {name} attribute; refusing to embed it")
    return re.sub(r"^<\?xml[^>]*>\s*", "", svg)


def render_html(review: QuarterlyReview, svgs: dict[str, str] | None = None) -> str:
    """One standalone HTML page; `svgs` maps chart ids to SVG (rendered here when None)."""
    svgs = chart_svgs(review) if svgs is None else svgs
    e = html.escape
    title, sections = document(review)
    body: list[str] = []
    for i, section in enumerate(sections):
        body.append(f"<h1>{e(section.heading)}</h1>" if i == 0 else f"<section><h2>{e(section.heading)}</h2>")
        for block in section.blocks:
            if isinstance(block, Chart):
                if block.name in svgs:
                    body.append(f'<figure aria-label="{e(block.name)} chart">{_sanitize_svg(svgs[block.name])}</figure>')
            elif isinstance(block, Table):
                def cell(tag: str, j: int, value: str, t: Table = block) -> str:
                    classes = " ".join(c for c, on in (("num", j in t.numeric), ("wrap", j in t.wrap)) if on)
                    attr = f' class="{classes}"' if classes else ""
                    return f"<{tag}{attr}>{e(value)}</{tag}>"

                head = "".join(cell("th", j, h) for j, h in enumerate(block.header))
                rows = "".join("<tr>" + "".join(cell("td", j, c) for j, c in enumerate(row)) + "</tr>" for row in block.rows)
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            elif isinstance(block, list):
                body.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in block) + "</ul>")
            else:
                cls = ' class="meta"' if i == 0 else ""
                body.append(f"<p{cls}>{e(block)}</p>")
        if i:
            body.append("</section>")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body.append(f'<p class="meta">Generated by Hindsight on {e(generated)}.</p>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{e(content_security_policy())}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


# ---- CLI --------------------------------------------------------------------------------------


def make_report(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, fmt: str = "md", *, redact: bool = False, as_of: date | None = None
) -> str:
    """The whole report as text for the anonymous viewer (a file can be forwarded to anyone)."""
    review = rv.build_review(con, quarter, as_of=as_of)
    if redact:
        review = redact_review(review, Redactor(rv.owner_names(con)))
    return render_html(review) if fmt == "html" else render_markdown(review)
