"""Every table Hindsight writes, in one place.

The build creates all of them (analysis tables start empty and are filled by later steps),
so the dashboard can rely on every table existing even in a corpus with no factors.
Times are naive UTC TIMESTAMPs. `seq` numbers rows within one incident from 0.
"""

from __future__ import annotations

import duckdb

import pipelines

DDL = """
CREATE TABLE incidents (
    incident_id    VARCHAR PRIMARY KEY,
    title          VARCHAR,
    source_path    VARCHAR NOT NULL,   -- relative to the corpus root; 'file.jsonl:12' for a record
    source_format  VARCHAR NOT NULL,   -- markdown | json | jsonl | csv
    incident_date  DATE,               -- stated date, else started_at's, else the title's or file name's, else detected_at's
    started_at     TIMESTAMP,
    detected_at    TIMESTAMP,
    mitigated_at   TIMESTAMP,
    resolved_at    TIMESTAMP,
    severity       VARCHAR,            -- SEV1..SEV4 or NULL (mapping in pipelines/parsing/severity.toml)
    severity_raw   VARCHAR,            -- as written
    team           VARCHAR,            -- resolved by the build: a catalog group, else as written (team_raw)
    status         VARCHAR,
    summary        VARCHAR,
    url            VARCHAR,
    restricted     BOOLEAN NOT NULL DEFAULT FALSE,
    allowed_groups VARCHAR[],
    completeness   INTEGER,            -- 0-100, filled by the linter
    team_raw       VARCHAR             -- the team as the write-up states it (NULL when none is stated)
);

-- Affected services, resolved by the build (pipelines/build/resolve.py): catalog slugs where the
-- catalog knows the name, else the corpus's usual spelling, else as written.
CREATE TABLE incident_services (incident_id VARCHAR NOT NULL, service VARCHAR NOT NULL);

-- The services a write-up states, as written, in order (the first is the primary service).
CREATE TABLE stated_services (incident_id VARCHAR NOT NULL, seq INTEGER NOT NULL, name VARCHAR NOT NULL);

-- Where each of model.SOURCED_FIELDS came from, as the parser recorded it (input of the build's
-- resolution; readers use field_sources).
CREATE TABLE parsed_field_sources (
    incident_id VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    line        INTEGER
);

-- Where each of model.SOURCED_FIELDS of an incident came from: one row per field that has a
-- value. source is one of model.FIELD_SOURCES: stated (front_matter, metadata, title, label,
-- record, corpus_spelling) or inferred (timeline, text, catalog, corpus). line is 1-based in the source file.
CREATE TABLE field_sources (
    incident_id VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    line        INTEGER
);

-- Every file or export record that describes an incident: one row for most incidents, several
-- when write-ups sharing an id were merged (docs/build.md, "One incident, several write-ups").
-- rank 0 is the primary write-up. The *_seqs lists name the rows of sections, timeline_events
-- and action_items that this write-up contributed (a de-duplicated item is in each list).
CREATE TABLE incident_sources (
    incident_id   VARCHAR NOT NULL,
    source_path   VARCHAR NOT NULL,
    source_format VARCHAR NOT NULL,
    rank          INTEGER NOT NULL,
    title         VARCHAR,
    incident_date DATE,
    started_at    TIMESTAMP,
    resolved_at   TIMESTAMP,
    section_seqs  INTEGER[],
    event_seqs    INTEGER[],
    item_seqs     INTEGER[]
);

-- Write-ups that look like one incident without sharing an id (a shared service, overlapping
-- times, similar words), for a person to confirm; nothing is merged automatically.
CREATE TABLE possible_duplicates (
    incident_id     VARCHAR NOT NULL,      -- the earlier (or, on a tie, the smaller id)
    other_id        VARCHAR NOT NULL,
    shared_services VARCHAR[] NOT NULL,
    hours_apart     DOUBLE,                -- from the end of the earlier window to the start of the other; 0 when they overlap
    similarity      DOUBLE NOT NULL        -- 0..1, shared words of title and summary
);
CREATE TABLE incident_tags (incident_id VARCHAR NOT NULL, tag VARCHAR NOT NULL);
-- Failure modes a postmortem names itself (front matter `failure_modes:`, an export's cause column), as written.
CREATE TABLE incident_mode_labels (incident_id VARCHAR NOT NULL, label VARCHAR NOT NULL);

CREATE TABLE sections (
    incident_id VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    kind        VARCHAR NOT NULL,      -- one of model.SECTION_KINDS
    heading     VARCHAR,
    body        VARCHAR,
    line        INTEGER
);

CREATE TABLE timeline_events (
    incident_id VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    "at"        TIMESTAMP,             -- UTC; NULL when unknown. Quoted: AT is reserved in DuckDB 2, so queries say "at"
    raw_time    VARCHAR,
    text        VARCHAR
);

CREATE TABLE action_items (
    incident_id VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    text        VARCHAR NOT NULL,
    owner       VARCHAR,
    due_date    DATE,
    status      VARCHAR NOT NULL,      -- effective: the tracker's when matched, else doc_status. open | in_progress | done | wont_fix
    priority    VARCHAR,
    kind        VARCHAR,
    ticket      VARCHAR,               -- the item's own ticket as the document cites it ('TC-412', '#1850', a URL)
    doc_status     VARCHAR,            -- as the postmortem writes it (filled by the build's tracker sync)
    tracker_status VARCHAR,            -- the matched tracker record's status; NULL when unmatched
    created_at     TIMESTAMP,          -- the tracker record's creation (UTC); NULL when unmatched
    closed_at      TIMESTAMP,          -- when the tracker closed it (done or wont_fix), UTC; NULL otherwise
    "match"        VARCHAR,            -- key (by ticket/URL) | fuzzy (by title, for review) | NULL
    tracker_record VARCHAR             -- tracker_records.record_id of the match
);

-- Every record of the --tracker files (pipelines/build/tracker_sync.py; docs/tracker.md): one row
-- per issue even when several postmortems cite it. referenced = FALSE: no action item matches it.
CREATE TABLE tracker_records (
    record_id    VARCHAR PRIMARY KEY,  -- system:key, or system:file:row for records without a key
    source_path  VARCHAR NOT NULL,     -- the tracker file as given
    "row"        INTEGER NOT NULL,     -- 1-based data row / array element
    system       VARCHAR NOT NULL,     -- jira | github | incident_io | dispatch
    "key"        VARCHAR,              -- 'TC-412', '#1850'; NULL for Dispatch tasks
    url          VARCHAR,
    title        VARCHAR,
    status       VARCHAR NOT NULL,     -- open | in_progress | done | wont_fix
    status_raw   VARCHAR,              -- as the tracker writes it ('Closed / Won't Fix')
    priority     VARCHAR,
    assignee     VARCHAR,
    created_at   TIMESTAMP,
    closed_at    TIMESTAMP,
    due_date     DATE,
    incident_ref VARCHAR,              -- the incident the tracker files it under, when it says
    referenced   BOOLEAN NOT NULL,
    items        INTEGER NOT NULL      -- action items matched to it
);

CREATE TABLE contributing_factors (
    incident_id    VARCHAR NOT NULL,
    seq            INTEGER NOT NULL,
    text           VARCHAR NOT NULL,
    source_section VARCHAR,
    theme_id       INTEGER,            -- themes.theme_id: the pattern whose phrase it contains; -1 = none; NULL before analysis
    category       VARCHAR             -- failure_modes.class of the sentence's best-scoring mode; NULL = none matched
);

CREATE TABLE ingest_errors (source_path VARCHAR NOT NULL, reason VARCHAR NOT NULL);

-- One row per input file that was read, for incremental rebuilds (skip unchanged content).
-- An unchanged, reusable file's rows are copied from the previous build instead of re-parsed.
CREATE TABLE source_files (
    source_path  VARCHAR PRIMARY KEY,
    content_hash VARCHAR NOT NULL,
    size_bytes   BIGINT NOT NULL,
    incident_ids VARCHAR[],                 -- every incident parsed from the file
    errors       STRUCT(source_path VARCHAR, reason VARCHAR)[],  -- the parser's errors for it
    reusable     BOOLEAN NOT NULL DEFAULT TRUE  -- FALSE when one of its ids lost to a duplicate
);

-- Summaries every page's filter bar reads, written by pipelines/build/summaries.py after the
-- analysis: the values the filters offer, and incidents per calendar year (year NULL: undated).
CREATE TABLE summary_filter_values (kind VARCHAR NOT NULL, value VARCHAR NOT NULL, label VARCHAR NOT NULL);
CREATE TABLE summary_years (year INTEGER, incidents BIGINT NOT NULL, first DATE, last DATE);

CREATE TABLE build_info (key VARCHAR PRIMARY KEY, value VARCHAR);

-- The taxonomy the build used (pipelines/analysis/failure_modes.toml, plus a team's --taxonomy file).
CREATE TABLE failure_modes (
    mode        VARCHAR PRIMARY KEY,     -- stable key, e.g. 'expiry'
    class       VARCHAR NOT NULL,        -- class key, e.g. 'dependency'
    class_name  VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,        -- what the dashboard shows
    description VARCHAR NOT NULL
);

-- Every mode that scored for an incident. Its modes (weight > 0) are the top one and those
-- scoring at least half of it; weights sum to 1 per incident that has any.
CREATE TABLE incident_failure_modes (
    incident_id VARCHAR NOT NULL,
    mode        VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,         -- rules: sum of weighted sentence scores; hand: 1; model: probability
    weight      DOUBLE NOT NULL,         -- share among the incident's modes; 0 = mentioned, not one of its modes
    source      VARCHAR NOT NULL,        -- hand | rules | model
    evidence    VARCHAR[],               -- the sentences that scored, best first (at most 3)
    phrases     VARCHAR[]                -- the phrase that fired in each evidence sentence
);

-- Recurring patterns inside failure modes (pipelines/analysis/patterns.py).
CREATE TABLE themes (
    theme_id            INTEGER PRIMARY KEY,  -- stable across rebuilds; -1 = unclustered
    mode                VARCHAR,              -- failure_modes.mode the pattern is inside; NULL for -1
    label               VARCHAR NOT NULL,     -- a phrase every member wrote
    top_terms           VARCHAR[],            -- other phrases most members share
    representative_text VARCHAR,              -- the first of `examples`
    examples            VARCHAR[],            -- two member sentences containing the label (never restricted)
    size                INTEGER NOT NULL      -- incidents
);

CREATE TABLE incident_themes (
    incident_id VARCHAR NOT NULL,
    theme_id    INTEGER NOT NULL,
    weight      DOUBLE NOT NULL              -- the weight of the mode the pattern is in; sums to 1
);

-- B (incident_id) repeats A (earlier_incident_id): one of B's failure modes is one of A's, on a
-- shared service, within the window (pipelines/read/repeats.py has the one definition).
CREATE TABLE repeat_incidents (
    incident_id          VARCHAR NOT NULL,
    earlier_incident_id  VARCHAR NOT NULL,
    mode                 VARCHAR NOT NULL,
    service              VARCHAR NOT NULL,
    days_between         INTEGER NOT NULL,
    theme_id             INTEGER             -- the pattern of the mode both are in, NULL when none
);

CREATE TABLE related_incidents (
    incident_id VARCHAR NOT NULL,
    related_id  VARCHAR NOT NULL,
    rank        INTEGER NOT NULL,            -- 1 = most similar
    score       DOUBLE NOT NULL
);

CREATE TABLE lint_findings (
    incident_id VARCHAR NOT NULL,
    rule        VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,            -- info | warning | error
    line        INTEGER,
    message     VARCHAR NOT NULL
);
"""

TABLES = (
    "incidents",
    "incident_services",
    "stated_services",
    "parsed_field_sources",
    "field_sources",
    "incident_sources",
    "possible_duplicates",
    "incident_tags",
    "incident_mode_labels",
    "sections",
    "timeline_events",
    "action_items",
    "tracker_records",
    "contributing_factors",
    "ingest_errors",
    "source_files",
    "summary_filter_values",
    "summary_years",
    "build_info",
    "failure_modes",
    "incident_failure_modes",
    "themes",
    "incident_themes",
    "repeat_incidents",
    "related_incidents",
    "lint_findings",
)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every Hindsight table in an empty database, and record which schema it is."""
    con.execute(DDL)
    con.execute("INSERT INTO build_info VALUES ('schema_version', ?)", [pipelines.SCHEMA_VERSION])
