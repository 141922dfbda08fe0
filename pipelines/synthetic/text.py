"""Phrase banks for the synthetic corpus: themes, their many wordings, and the slot filler.

Every theme is written as templates with slots (`{svc}`, `{host}`, `{ver}` ...) and inline
alternatives (`{expired|lapsed|ran out}`), so two incidents of the same theme rarely share a
sentence: mining themes from this corpus has to work on meaning, not on exact strings.
All text here is invented for Hindsight.
"""

from __future__ import annotations


import random
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

_Parts = tuple  # of str (literal) | ("slot", name) | ("alt", tuple of _Parts)


def pick(rng: random.Random, seq):
    """rng.choice, about twice as fast; the generator calls it hundreds of thousands of times."""
    return seq[int(rng.random() * len(seq))]


@lru_cache(maxsize=None)
def _compile(template: str) -> _Parts:
    parts: list = []
    i, n, literal = 0, len(template), []
    while i < n:
        ch = template[i]
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        depth, j, cuts = 1, i + 1, []
        while depth:
            c = template[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == "|" and depth == 1:
                cuts.append(j)
            j += 1
        inner_start, inner_end = i + 1, j - 1
        if literal:
            parts.append("".join(literal))
            literal = []
        if cuts:
            bounds = [inner_start] + [c + 1 for c in cuts]
            ends = cuts + [inner_end]
            parts.append(("alt", tuple(_compile(template[a:b]) for a, b in zip(bounds, ends))))
        else:
            parts.append(("slot", template[inner_start:inner_end]))
        i = j
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def _emit(rng: random.Random, parts: _Parts, ctx, out: list[str]) -> None:
    for part in parts:
        if part.__class__ is str:
            out.append(part)
        elif part[0] == "slot":
            out.append(ctx[part[1]])
        else:
            _emit(rng, pick(rng, part[1]), ctx, out)


def fill(rng: random.Random, template: str, ctx) -> str:
    """Substitute `{slot}`s from ctx and pick one of each `{a|b|c}` alternative (they may nest)."""
    parts = _compile(template)
    out: list[str] = []
    _emit(rng, parts, ctx, out)
    text = "".join(out)
    if "  " in text or " ," in text or " ." in text:  # an empty alternative leaves a gap
        text = re.sub(r"  +", " ", text).replace(" ,", ",").replace(" .", ".")
    text = text.strip()
    if not text or (parts and parts[0].__class__ is not str and parts[0][0] == "slot"):
        return text  # starts with a name such as a service: keep its case
    return text[0].upper() + text[1:]


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    weight: float
    trend: float  # relative change in weight from the start to the end of the window
    services: tuple[str, ...]  # services this kind of failure tends to hit
    titles: tuple[str, ...]
    factors: tuple[str, ...]  # contributing-factor sentences
    triggers: tuple[str, ...]
    resolutions: tuple[str, ...]
    actions: tuple[tuple[str, str], ...]  # (kind, text)
    whys: tuple[str, ...]  # a five-whys chain, most proximate first


THEMES: tuple[Theme, ...] = (
    Theme(
        key="tls_cert_expiry",
        label="Expired TLS certificate",
        weight=7,
        trend=-0.3,
        services=("edge-proxy", "auth-service", "payments-gateway", "email-sender"),
        titles=(
            "Expired certificate on {cert_domain} broke {svc} handshakes",
            "{svc}: TLS handshake failures after cert expiry",
            "Clients rejected {svc} after its certificate lapsed",
            "Certificate for {cert_domain} ran out, {svc} unreachable over HTTPS",
            "x509 expiry took down {svc} for external callers",
        ),
        factors=(
            "The TLS certificate for {cert_domain} {expired|lapsed|ran out} at {hhmm} UTC and nobody {was warned|got a reminder|noticed in advance}.",
            "Automatic renewal for {cert_domain} had been {silently failing|failing without an alert|broken} for {n_small} weeks because the ACME challenge path returned 404 behind {svc}.",
            "The cert-manager job that renews {cert_domain} {failed to start|was stuck in CrashLoopBackOff} after the cluster upgrade to {ver}, so the certificate was never reissued.",
            "{svc} pinned an intermediate CA bundle that was rotated by the issuer; clients saw `certificate has expired or is not yet valid`.",
            "Our certificate inventory spreadsheet listed the old expiry date for {cert_domain}, so the {renewal|rotation} was {never scheduled|missed}.",
            "Expiry monitoring only covered certificates on the load balancers, not the one terminated inside {svc} on {host}.",
            "The wildcard cert for *.{cert_zone} was renewed, but the new {bundle|chain} was never {deployed|rolled out} to {host}.",
            "x509 errors started when the {leaf|server} certificate on {host} hit its notAfter date; the renewal ticket had been {closed as duplicate|left unassigned}.",
            "A manually issued certificate (outside the automated pipeline) covered {cert_domain} and {expired|lapsed} on a {weekend|public holiday}.",
            "Handshakes from older Android clients failed because the replacement certificate chained to a root they do not trust.",
            "Nobody owned the certificate for {cert_domain}: it was requested {n_small} years ago by a team that no longer exists.",
            "Renewal reminders for {cert_domain} went to a distribution list that was archived in the reorg.",
            "The monitoring probe accepted any certificate, valid or not, because verification had been turned off to silence a warning.",
            "When the cert on {host} ran past its validity window, mobile clients hard-failed while browsers showed an interstitial, so the first reports were confusing.",
        ),
        triggers=(
            "The certificate for {cert_domain} reached its expiry time.",
            "At {hhmm} UTC the serving certificate on {host} expired.",
            "Certificate expiry on {cert_domain}.",
        ),
        resolutions=(
            "We issued a new certificate by hand and reloaded {svc} on every node.",
            "The on-call engineer re-ran the renewal job, pushed the new chain to {host} and restarted the listeners.",
            "A fresh certificate was deployed and clients recovered once connection pools recycled.",
        ),
        actions=(
            ("detect", "Alert when any certificate in the inventory is within {n_small}0 days of expiry"),
            ("prevent", "Move {cert_domain} onto the automated ACME renewal pipeline"),
            ("detect", "Add a synthetic HTTPS probe that checks certificate validity on {svc}"),
            ("prevent", "Fix the cert-manager upgrade path so renewals survive cluster upgrades"),
            ("process", "Retire the certificate spreadsheet in favour of the generated inventory"),
            ("mitigate", "Document a manual certificate re-issue procedure for {svc}"),
        ),
        whys=(
            "Why did clients fail? The certificate on {host} had expired.",
            "Why had it expired? Automatic renewal had not run for weeks.",
            "Why had renewal not run? The renewal job broke during an upgrade and failed quietly.",
            "Why was the failure quiet? Renewal jobs have no alerting.",
            "Why no alerting? Certificate expiry was assumed to be handled by the platform.",
        ),
    ),
    Theme(
        key="config_push",
        label="Bad configuration push",
        weight=14,
        trend=-0.35,
        services=("edge-proxy", "checkout-api", "search-api", "notifications", "ci-runners"),
        titles=(
            "Bad config push to {svc} caused elevated 5xx",
            "{svc} outage after configuration change {ticket_ref}",
            "Malformed {config_file} rolled out to all {svc} hosts",
            "Config change disabled routing for {svc}",
            "{svc}: global config rollout broke request handling",
        ),
        factors=(
            "A configuration change to {config_file} was {pushed|rolled out|deployed} to {all regions at once|every region simultaneously|the whole fleet in one step} instead of {canaried|staged}.",
            "The new {config_file} contained a typo in the upstream name (`{svc2}-v{n_small}` instead of `{svc2}`), so {svc} routed requests to nothing.",
            "Config validation ran only a YAML syntax check; it did not catch that `timeout_ms` was set to {n} instead of {n}00.",
            "The change was reviewed, but the diff shown in the review tool hid a {whitespace|indentation} change that moved a block under the wrong key.",
            "{svc} reloads configuration {on the fly|without a restart}, so the bad value took effect on every host within {n_small} seconds.",
            "A config push meant for staging was applied to production because both environments share the same {config_file} template.",
            "The rate limit in {config_file} was {lowered|cut} from {n_big} to {n} requests per second by mistake, throttling legitimate traffic to {svc}.",
            "There was no automated rollback for configuration; only code deploys roll back on failed health checks.",
            "The config management run {pushed|applied} an empty allow-list to {svc}, rejecting every caller.",
            "Our deploy pipeline treats config as data, so the change skipped the canary stage that code changes go through.",
            "Someone edited {config_file} directly on {host} during an earlier incident and the drift was overwritten by the next push, removing a needed override.",
            "Our config linter was skipped because the change was marked `urgent` in the pipeline.",
            "The {svc} config loader treats an unknown key as fatal, so one new field crashed every instance that reloaded.",
            "A {template|templating} bug rendered `max_body_size` as an empty string and {svc} fell back to a limit of zero bytes.",
            "Health checks only verified that {svc} was listening, not that it was routing, so the bad config passed every gate.",
        ),
        triggers=(
            "Configuration change {ticket_ref} to {config_file} was applied to production.",
            "A config push to {svc} at {hhmm} UTC.",
            "Rollout of revised {config_file} across the {svc} fleet.",
        ),
        resolutions=(
            "We reverted {config_file} to the previous revision and forced a reload on all hosts.",
            "The config change was rolled back; {svc} recovered within minutes of the reload.",
            "Rolled back the config and restarted the affected {svc} pods.",
        ),
        actions=(
            ("prevent", "Stage configuration pushes through the same canary as code deploys"),
            ("prevent", "Add schema validation for {config_file} in CI"),
            ("mitigate", "Add one-click rollback for configuration changes to {svc}"),
            ("detect", "Alert on a 5xx spike within {n_small} minutes of any config push"),
            ("process", "Require a second reviewer for production config changes"),
            ("prevent", "Split staging and production {config_file} templates"),
        ),
        whys=(
            "Why did {svc} fail? It loaded an invalid configuration value.",
            "Why was the value invalid? A hand edit to {config_file} introduced it.",
            "Why was it not caught? Validation checks syntax only, not meaning.",
            "Why did it reach every host? Config pushes bypass the canary stage.",
            "Why do they bypass it? The pipeline was built for code and config was added later.",
        ),
    ),
    Theme(
        key="db_pool_exhaustion",
        label="Database connection pool exhaustion",
        weight=10,
        trend=0.1,
        services=("orders-db", "checkout-api", "ledger", "user-profile"),
        titles=(
            "{svc} timeouts: database connection pool exhausted",
            "Connection pool saturation on {db} slowed {svc}",
            "{svc} could not get DB connections during peak",
            "Too many connections on {db} took {svc} down",
        ),
        factors=(
            "The connection pool for {db} was {exhausted|saturated|fully checked out}: all {pool} connections were held by slow queries.",
            "{svc} opens a new pool per worker, so scaling to {n} replicas multiplied connections past the `max_connections` limit of {n_big}.",
            "A query on the `{table}` table lost its index after a planner change and held connections for {n} seconds each.",
            "Threads waited on `getConnection()` for the full {n}-second timeout, so requests piled up instead of failing fast.",
            "PgBouncer ran in session mode, so idle transactions from {svc2} pinned server connections.",
            "Connections leaked on an error path in {svc} {ver}: the handler returned early without releasing its connection.",
            "The pool size had been tuned for {n_small} replicas a year ago and never revisited as traffic grew.",
            "{db} hit `FATAL: sorry, too many clients already` and rejected new sessions, including health checks.",
            "Retries from {svc2} reopened connections as fast as they timed out, keeping {db} pinned at its limit.",
            "Every request to {svc} opened a transaction even for reads, doubling how long each connection stayed checked out.",
            "Background jobs and user traffic shared a single pool, and a batch job took {pct}% of the connections.",
            "Connection storms after the {db} failover: all {n} replicas reconnected at the same instant.",
            "The ORM retried on `connection refused` without backoff, so clients hammered {db} while it was already at capacity.",
        ),
        triggers=(
            "A traffic increase pushed {svc} past the connection limit of {db}.",
            "Deploy {ver} of {svc} introduced a connection leak.",
            "A slow query started holding connections on {db}.",
        ),
        resolutions=(
            "We killed the long-running queries on {db} and restarted {svc} to release connections.",
            "Rolled back {svc} to {oldver} and raised the pool limit temporarily.",
            "Added the missing index on `{table}`; connection usage dropped back to normal.",
        ),
        actions=(
            ("prevent", "Put {svc} behind a transaction-mode connection pooler"),
            ("detect", "Alert when pool utilisation on {db} stays above {pct}% for 5 minutes"),
            ("prevent", "Fix the connection leak on the error path in {svc}"),
            ("mitigate", "Set a fail-fast connection acquisition timeout of 2 s"),
            ("process", "Review pool sizing whenever replica counts change"),
        ),
        whys=(
            "Why were requests timing out? {svc} could not get database connections.",
            "Why not? Every connection in the pool was in use.",
            "Why? Queries held connections far longer than usual.",
            "Why? A query lost its index and became slow.",
            "Why was that not noticed? We had no alert on pool saturation.",
        ),
    ),
    Theme(
        key="alerting_gap",
        label="Missing or noisy alerting",
        weight=5,
        trend=-0.1,
        services=("event-pipeline", "notifications", "ledger", "search-api"),
        titles=(
            "{svc} degraded for hours before anyone noticed",
            "Silent failure in {svc}: no alert fired",
            "Late detection of {svc} errors (customer-reported)",
            "{svc} alert lost in noise, slow response",
        ),
        factors=(
            "No alert covered this failure mode: the dashboards showed the error rate, but nothing paged.",
            "The only alert on {svc} watched host CPU, which stayed flat while every request failed.",
            "The page went to a {rotation|schedule} that had been {deleted|renamed} during the team reorg, so nobody was notified.",
            "Alert fatigue: the channel receives {n} warnings a day and the real alert was {muted|snoozed|acknowledged} along with the rest.",
            "The alert threshold was {pct}% errors over 30 minutes, far too slow for a {total|complete} outage.",
            "We first heard about the problem from a customer {support ticket|tweet|email}, {delay} minutes after impact began.",
            "Detection relied on a synthetic check that had been {disabled|paused} during a migration and never re-enabled.",
            "The alert fired but routed to email only; it was after hours and nobody {read|saw} it.",
            "Our SLO burn-rate alerts did not include {svc}, because it was added to the catalog after they were written.",
            "We had alerts, but they were tuned for the old traffic pattern and did not trip during the quiet overnight failure.",
            "The error budget dashboard for {svc} was red for {n} minutes; nobody watches dashboards at {hhmm}.",
            "Two separate alerts fired and auto-resolved within the flap window, so the on-call engineer never got a page.",
            "Monitoring for {svc} lived in a legacy system that was half-migrated; the new system had no rules yet.",
        ),
        triggers=(
            "An unrelated failure in {svc} went unnoticed because no alert covered it.",
            "Errors in {svc} grew slowly below every alert threshold.",
        ),
        resolutions=(
            "Once a human looked, the fix was quick: we restarted the stuck {svc} workers.",
            "After the customer report we found the stalled consumer and restarted it.",
        ),
        actions=(
            ("detect", "Add an SLO burn-rate alert for {svc}"),
            ("detect", "Page on error-rate, not only on host metrics, for {svc}"),
            ("process", "Audit alert routing after every on-call schedule change"),
            ("detect", "Re-enable the synthetic check for {svc} and alert when it is paused"),
            ("process", "Review and prune noisy warnings in the on-call channel"),
        ),
        whys=(
            "Why did the outage last so long? We did not know about it.",
            "Why not? No alert fired for this failure mode.",
            "Why? Alerts watched resource usage, not user-facing errors.",
            "Why? The alerts predate our SLOs and were never revised.",
            "Why? Nobody owns alert hygiene for {svc}.",
        ),
    ),
    Theme(
        key="capacity_spike",
        label="Traffic spike / capacity shortfall",
        weight=11,
        trend=0.25,
        services=("checkout-api", "search-api", "notifications", "edge-proxy", "payments-gateway"),
        titles=(
            "{svc} overloaded during {campaign}",
            "Traffic surge exhausted {svc} capacity",
            "{svc} latency spike under {n}x normal load",
            "Autoscaling too slow for {campaign} traffic on {svc}",
        ),
        factors=(
            "Traffic to {svc} rose to {n}x normal within {n_small} minutes when {campaign} went live.",
            "The autoscaler reacts to CPU averaged over {n_small} minutes, so new replicas arrived after the queue had already {overflowed|filled up}.",
            "Marketing scheduled {campaign} without telling the {team} team, so no capacity was added ahead of time.",
            "The cluster had no headroom: {region} was at its instance quota and new nodes {could not be scheduled|stayed Pending}.",
            "Load tests last ran {n_small} months ago at half of today's peak; we did not know where {svc} would fall over.",
            "A retry storm from mobile clients multiplied the load on {svc} once latency crossed {n}00 ms.",
            "Cold caches on the newly started replicas made each of them slower than the ones they were meant to relieve.",
            "There was no load shedding in {svc}, so overload turned into timeouts for every request rather than errors for a few.",
            "A partner's batch job started sending {n_big} requests per second to {svc} with no rate limit in front of it.",
            "We had planned for {campaign}, but the forecast was based on last year's numbers and traffic came in at {n_small}x that.",
            "Connection limits on the load balancer in front of {svc} were reached before CPU on the backends moved at all.",
            "A bot scraping the catalogue generated {n_big} requests per second, which nobody had budgeted for.",
            "Scale-out was blocked by a pod disruption budget left over from a maintenance window.",
        ),
        triggers=(
            "{campaign} drove a sudden traffic surge to {svc}.",
            "A partner integration began bursting requests at {svc}.",
            "Peak-hour load exceeded {svc} capacity in {region}.",
        ),
        resolutions=(
            "We scaled {svc} manually to {n} replicas and enabled the waiting room page.",
            "Traffic was shed at the edge and extra capacity was added in {region}.",
            "Rate-limited the partner and pre-scaled the fleet; latency returned to normal.",
        ),
        actions=(
            ("prevent", "Run a load test of {svc} at 2x last year's peak before {campaign}"),
            ("mitigate", "Add load shedding to {svc} so overload returns fast 429s"),
            ("process", "Add launch reviews with capacity sign-off for marketing campaigns"),
            ("prevent", "Scale {svc} on request rate instead of CPU"),
            ("mitigate", "Raise the instance quota in {region}"),
            ("prevent", "Add per-client rate limits at the edge"),
        ),
        whys=(
            "Why did {svc} time out? It was overloaded.",
            "Why? Traffic rose faster than autoscaling could add capacity.",
            "Why? We scale on a lagging CPU signal.",
            "Why was there no headroom? Nobody knew the campaign was coming.",
            "Why? There is no launch review for traffic-heavy events.",
        ),
    ),
    Theme(
        key="third_party_outage",
        label="Third-party dependency outage",
        weight=9,
        trend=0.15,
        services=("payments-gateway", "email-sender", "notifications", "auth-service"),
        titles=(
            "{vendor} outage degraded {svc}",
            "{svc} errors caused by upstream provider {vendor}",
            "Dependency failure: {vendor} API unavailable",
            "{svc} blocked on {vendor} timeouts",
        ),
        factors=(
            "{vendor}, our {vendor_role} provider, {had an outage|was down|returned 503s} in {region} for {dur_text}.",
            "{svc} called {vendor} synchronously on the request path with a {n}-second timeout, so every request waited on the dead dependency.",
            "We had no fallback provider for {vendor_role}; the secondary contract was {signed but never integrated|still in procurement}.",
            "The circuit breaker around the {vendor} client was configured but {disabled by a feature flag|set with a threshold it could never reach}.",
            "{vendor}'s status page showed all green for the first {n} minutes, so we spent time debugging our own code.",
            "Retries against {vendor} had no jitter and no budget, so we amplified their outage with {n}x the usual request volume.",
            "An unannounced change in the {vendor} API (a renamed field in the webhook payload) broke our parser in {svc}.",
            "The {vendor} SDK pinned in {svc} {ver} held a global lock while waiting on the network.",
            "Our contract with {vendor} has no SLA worth the name, and the risk was accepted years ago without review.",
            "DNS for {vendor}'s API endpoint started returning an address in a region they were evacuating.",
            "{vendor} rate-limited us after our retry loop exceeded the quota agreed in the contract.",
            "The webhook receiver in {svc} blocked its worker threads while it waited for {vendor} to acknowledge.",
        ),
        triggers=(
            "An outage at {vendor}.",
            "{vendor} began timing out at {hhmm} UTC.",
            "An unannounced API change at {vendor}.",
        ),
        resolutions=(
            "We failed over to queued processing until {vendor} recovered.",
            "{vendor} resolved their incident; we drained the backlog afterwards.",
            "Disabled the {vendor} call path behind a flag and served degraded results.",
        ),
        actions=(
            ("mitigate", "Make the {vendor} call asynchronous with a queue and retries"),
            ("mitigate", "Integrate a second {vendor_role} provider for failover"),
            ("prevent", "Enable the circuit breaker around the {vendor} client"),
            ("detect", "Monitor {vendor} error rate from our side instead of their status page"),
            ("process", "Subscribe the {team} on-call to {vendor} change notices"),
        ),
        whys=(
            "Why did {svc} fail? {vendor} was unavailable.",
            "Why did that take {svc} down? We call {vendor} synchronously.",
            "Why is there no fallback? A second provider was never integrated.",
            "Why? The dependency was treated as always-on.",
            "Why? We never ran a failure drill for it.",
        ),
    ),
    Theme(
        key="db_migration",
        label="Failed database migration",
        weight=7,
        trend=0.0,
        services=("orders-db", "ledger", "user-profile", "checkout-api"),
        titles=(
            "Schema migration locked `{table}` on {db}",
            "{svc} outage during database migration {migration}",
            "Failed migration left {db} half-migrated",
            "Migration {migration} blocked writes to {svc}",
        ),
        factors=(
            "Migration {migration} ran `ALTER TABLE {table}` which took an {exclusive|ACCESS EXCLUSIVE} lock and blocked writes for {n} minutes.",
            "The migration was tested on a staging copy with {n_small}% of production rows, so its runtime was {badly|grossly} underestimated.",
            "The backfill step in {migration} was not batched; it updated {n_big}k rows in a single transaction.",
            "The deploy {failed to complete|stopped half way} after the migration had already dropped the old column, so the previous {svc} build could not roll back.",
            "The migration and the code that depended on it shipped in the same deploy, with no expand/contract step.",
            "A lock timeout was not set for migration sessions, so the DDL waited behind a long-running report query and everything queued behind it.",
            "Replication lag on {db} grew to {n} minutes while the migration rewrote `{table}`, and reads from replicas served stale data.",
            "The migration tool retried the failed step and applied an index twice under different names.",
            "The ORM generated a migration that rebuilt an index non-concurrently; nobody read the SQL it produced.",
            "Rollback of the failed migration {migration} was never written, so recovery meant hand-written SQL under pressure.",
            "Migrations run automatically on deploy, so releasing {svc} during peak hours also ran a heavy schema change during peak hours.",
            "A foreign key added in {migration} validated against every existing row of `{table}` while holding a lock.",
        ),
        triggers=(
            "Database migration {migration} started on {db}.",
            "Deploy of {svc} {ver}, which included migration {migration}.",
        ),
        resolutions=(
            "We cancelled the migration session, restored the dropped column from backup and redeployed {oldver}.",
            "Killed the blocking DDL; writes resumed. The migration was rewritten to run in batches.",
            "Completed the migration manually in a maintenance window and redeployed.",
        ),
        actions=(
            ("prevent", "Enforce `lock_timeout` on all migration sessions"),
            ("prevent", "Adopt expand/contract for schema changes on {db}"),
            ("prevent", "Run migrations against a production-sized snapshot in CI"),
            ("process", "Ship schema migrations separately from code deploys"),
            ("mitigate", "Batch large backfills and make them resumable"),
        ),
        whys=(
            "Why were writes blocked? A migration held a lock on `{table}`.",
            "Why so long? It rewrote the whole table in one transaction.",
            "Why was that not expected? Staging data was far smaller than production.",
            "Why was there no lock timeout? Migration sessions use default settings.",
            "Why? There is no migration checklist.",
        ),
    ),
    Theme(
        key="cache_stampede",
        label="Cache stampede / cold cache",
        weight=6,
        trend=0.1,
        services=("search-api", "user-profile", "checkout-api", "notifications"),
        titles=(
            "Cache stampede on {svc} after {cache} flush",
            "{svc} overloaded its database when the cache went cold",
            "Thundering herd on {cache} keys",
            "{svc} latency spike after cache eviction",
        ),
        factors=(
            "When the {cache} cluster restarted, every {svc} instance missed the cache at the same moment and {stampeded|hammered|flooded} the database.",
            "Popular keys in {cache} shared the same TTL of {n} minutes, so they expired together and triggered a thundering herd.",
            "There is no request coalescing in {svc}: {n} concurrent misses for the same key made {n} identical backend queries.",
            "A deploy {flushed|invalidated} the whole cache namespace instead of the {n_small} keys that actually changed.",
            "The cache hit rate fell from {pct_high}% to under {pct}% after the key format changed in {svc} {ver}.",
            "The backing database was sized for cache-hit traffic only and could not absorb {n}x the read load.",
            "Eviction pressure on {cache} (maxmemory reached) pushed out hot keys during peak hours.",
            "A change to the serialization format in {svc} {ver} made every cached entry unreadable, which behaved like a full flush.",
            "The {cache} failover promoted an empty replica, so {svc} started from a cold cache at peak time.",
            "Negative results were not cached, so lookups for missing keys went to the database every time.",
            "We lost a third of the {cache} nodes at once, and consistent hashing moved most keys to nodes that did not have them.",
        ),
        triggers=(
            "The {cache} cluster was restarted for maintenance.",
            "A deploy of {svc} invalidated the cache namespace.",
            "Hot keys in {cache} expired together.",
        ),
        resolutions=(
            "We throttled {svc} traffic and pre-warmed the cache from a snapshot.",
            "Rolled back the key format change and let the cache refill gradually.",
            "Added jitter to TTLs in a hotfix; the database load dropped back.",
        ),
        actions=(
            ("prevent", "Add request coalescing (single-flight) for cache misses in {svc}"),
            ("prevent", "Add random jitter to cache TTLs"),
            ("mitigate", "Build a cache warm-up step into {cache} restarts"),
            ("detect", "Alert on cache hit-rate drops below {pct}%"),
            ("prevent", "Invalidate only changed keys on deploy"),
        ),
        whys=(
            "Why was the database overloaded? All cache lookups missed at once.",
            "Why? The cache was flushed and keys expired together.",
            "Why did the misses hit the database directly? There is no coalescing.",
            "Why was the database not able to cope? It is sized for cache-hit traffic.",
            "Why? Cache failure was never part of capacity planning.",
        ),
    ),
    Theme(
        key="dns_misconfig",
        label="DNS misconfiguration",
        weight=6,
        trend=0.0,
        services=("edge-proxy", "email-sender", "auth-service", "event-pipeline"),
        titles=(
            "DNS change made {svc} unresolvable",
            "{dns_name} resolved to the wrong address",
            "{svc}: NXDOMAIN for internal records after zone update",
            "Stale DNS records sent {svc} traffic to decommissioned hosts",
        ),
        factors=(
            "A record for {dns_name} was {deleted|overwritten|changed} during a zone cleanup, and clients received NXDOMAIN.",
            "The TTL on {dns_name} was {n_big} seconds, so the bad answer stayed in resolver caches long after we fixed the record.",
            "Terraform applied a plan generated against an old state file and pointed {dns_name} at {ip}, a host that had been decommissioned.",
            "The internal resolver in {region} forwarded `{dns_zone}` to a server that no longer served that zone.",
            "A CNAME at the zone apex for {dns_zone} conflicted with the MX record and broke mail delivery from {svc}.",
            "Split-horizon DNS returned the public address of {svc2} to internal callers, so traffic hairpinned through the edge and hit its rate limit.",
            "The DNSSEC signing key for {dns_zone} rolled without updating the DS record at the registrar; validating resolvers returned SERVFAIL.",
            "An engineer's cleanup script matched `{svc}*` and deleted more records than intended.",
            "The resolvers in {region} cached a negative answer (NXDOMAIN) for {n} minutes because of the zone's SOA minimum TTL.",
            "Our service discovery wrote DNS records for pods that had already been terminated, sending traffic to {ip}.",
            "Two Terraform workspaces both managed {dns_name}, and each apply reverted the other.",
        ),
        triggers=(
            "A DNS change to {dns_zone}.",
            "Zone cleanup removed the record for {dns_name}.",
            "Terraform apply on the DNS module at {hhmm} UTC.",
        ),
        resolutions=(
            "Restored the previous record set for {dns_zone} and flushed the internal resolver caches.",
            "Pointed {dns_name} back at {ip2} and lowered the TTL while caches expired.",
            "Fixed the DS record at the registrar; validating resolvers recovered over the next hour.",
        ),
        actions=(
            ("prevent", "Require a plan review for DNS changes with a diff of affected records"),
            ("detect", "Add resolution checks for critical names from every region"),
            ("mitigate", "Lower the TTL on {dns_name} to 300 s"),
            ("prevent", "Lock the DNS Terraform state and refuse stale plans"),
            ("process", "Document the DNSSEC key roll procedure"),
        ),
        whys=(
            "Why could clients not reach {svc}? {dns_name} did not resolve correctly.",
            "Why? The record was changed by an automated apply.",
            "Why was the change wrong? It was planned against stale state.",
            "Why did the fix take so long to apply? A long TTL kept the bad answer cached.",
            "Why? TTLs were never reviewed for critical names.",
        ),
    ),
    Theme(
        key="disk_full",
        label="Disk full / log growth",
        weight=6,
        trend=-0.1,
        services=("event-pipeline", "ci-runners", "orders-db", "ledger"),
        titles=(
            "Disk full on {host} stopped {svc}",
            "{svc} crashed when {disk_path} filled up",
            "Log growth exhausted disk on {svc} nodes",
            "No space left on device: {svc}",
        ),
        factors=(
            "{disk_path} on {host} reached 100% and {svc} could no longer write, failing every request with `No space left on device`.",
            "Debug logging was left {on|enabled} after the {ver} rollout and wrote {n} GB per hour.",
            "Log rotation was configured for the old path; after the move to {disk_path} nothing was rotated or compressed.",
            "The disk usage alert was set at 95%, which on this growth rate left {n_small} minutes to react.",
            "WAL files piled up on {db} because a replication slot for a decommissioned replica was never dropped.",
            "Build caches on the CI runners were never pruned and grew by {n} GB a week until the volume filled.",
            "Core dumps from a crash loop in {svc2} filled the root partition on {host}.",
            "A stuck consumer let the local queue spool grow on {host} until the volume ran out of space.",
            "Monitoring reported free space on `/`, but {svc} writes to a separate volume at {disk_path} that had no check at all.",
            "Temporary files from failed uploads were never cleaned up and consumed {n} GB over {n_small} weeks.",
            "The audit log level was raised for an investigation and never lowered again.",
        ),
        triggers=(
            "{disk_path} on {host} filled up.",
            "Log volume spiked after {svc} {ver} was rolled out.",
        ),
        resolutions=(
            "Deleted old logs on {host}, restarted {svc} and turned debug logging off.",
            "Dropped the stale replication slot; WAL space was reclaimed and writes resumed.",
            "Expanded the volume and pruned the build caches.",
        ),
        actions=(
            ("detect", "Alert on disk-fill rate (time-to-full), not only on percent used"),
            ("prevent", "Fix log rotation for {disk_path}"),
            ("prevent", "Ship logs off-host instead of writing them to local disk"),
            ("process", "Add a check for abandoned replication slots to the DB runbook"),
            ("prevent", "Schedule pruning of CI build caches"),
        ),
        whys=(
            "Why did {svc} stop? Its disk was full.",
            "Why? Logs grew much faster than usual.",
            "Why were they not rotated? Rotation pointed at the old path.",
            "Why did nobody notice? The alert fired too late to act.",
            "Why? The threshold was set without considering growth rate.",
        ),
    ),
    Theme(
        key="feature_flag",
        label="Feature flag misfire",
        weight=8,
        trend=0.5,
        services=("checkout-api", "search-api", "user-profile", "notifications"),
        titles=(
            "Flag `{flag}` enabled for 100% by mistake",
            "{svc} errors after turning on `{flag}`",
            "Feature flag misconfiguration broke {svc}",
            "Stale flag `{flag}` resurrected old code path in {svc}",
        ),
        factors=(
            "The flag `{flag}` was switched to 100% instead of {n_small}% because the percentage field in the flag UI {defaults to|was prefilled with} 100.",
            "Turning on `{flag}` enabled a code path in {svc} that had not run in production for {n_small} months and depended on a removed endpoint.",
            "Flag targeting rules were evaluated in a different order in the mobile SDK, so {pct}% of mobile users got the new flow.",
            "`{flag}` was toggled in production while the person toggling it believed they were in staging; both environments look identical in the flag UI.",
            "The flag service cached an old ruleset for {n} minutes after a change, so turning `{flag}` off did not take effect quickly.",
            "A cleanup removed `{flag}` from the flag service but not from {svc}; the SDK default of `true` switched the feature on everywhere.",
            "Two flags (`{flag}` and `{flag2}`) interacted: together they sent checkout requests down a path with no payment step.",
            "The kill switch for the new {svc} feature was itself behind a flag that had already been deleted.",
            "An experiment platform change re-bucketed users, moving {pct}% of traffic into the variant that still had a known bug.",
            "A flag evaluation timeout in the SDK fell back to the default value, which enabled `{flag}` for everyone while the flag service was slow.",
            "`{flag}` was enabled for an internal group whose membership rule matched all logged-in users.",
        ),
        triggers=(
            "The flag `{flag}` was turned on at {hhmm} UTC.",
            "Flag cleanup removed `{flag}`.",
            "A targeting rule change for `{flag}`.",
        ),
        resolutions=(
            "Turned `{flag}` off and restarted {svc} to drop the cached ruleset.",
            "Set `{flag}` back to 0% and hotfixed the SDK default.",
            "Reverted the targeting rules; error rates dropped immediately.",
        ),
        actions=(
            ("prevent", "Require a percentage confirmation step when enabling flags above 10%"),
            ("prevent", "Make flag SDK defaults fail closed (off)"),
            ("process", "Add a flag-removal checklist that covers code references"),
            ("mitigate", "Show the environment prominently in the flag UI"),
            ("detect", "Alert on error-rate changes within 5 minutes of a flag change"),
        ),
        whys=(
            "Why did {svc} fail? A feature flag enabled a broken code path.",
            "Why was the flag on? It was set to 100% by mistake.",
            "Why was that easy to do? The UI defaults to 100%.",
            "Why did it not roll back quickly? Rulesets are cached for minutes.",
            "Why? Flag changes are not treated as deploys.",
        ),
    ),
    Theme(
        key="secret_rotation",
        label="Credential / secret rotation",
        weight=5,
        trend=0.2,
        services=("auth-service", "payments-gateway", "ledger", "ci-runners"),
        titles=(
            "{svc} auth failures after credential rotation",
            "Rotated API key not picked up by {svc}",
            "Expired service account token broke {svc}",
            "{svc} lost database access after password rotation",
        ),
        factors=(
            "The database password for {svc} was rotated in the vault, but {svc} reads it only at startup and kept using the old one.",
            "The service account token for {svc} {expired|was revoked} as part of the quarterly rotation, and its replacement was issued to the wrong namespace.",
            "The old API key for {vendor} was revoked {immediately|at once} instead of after an overlap period, so in-flight deploys still used it.",
            "Secret rotation ran as a cron job that {failed to complete|died half way} and left {svc} and {svc2} with mismatched credentials.",
            "{svc} cached the signing key for JWT verification for {n} hours; after rotation, valid tokens were rejected as `invalid signature`.",
            "The rotation runbook listed {n_small} consumers of the credential; there were {n_small}+2.",
            "The new TLS client certificate for mutual auth between {svc} and {svc2} was deployed to one side only.",
            "A leaked credential had to be revoked immediately, and nobody knew every system that used it, so several broke at once.",
            "The vault lease for {svc} expired while the renewal sidecar was crash-looping, and the database closed its sessions.",
            "After rotation, a hard-coded copy of the old key was found in a config map for {svc2}.",
        ),
        triggers=(
            "Scheduled rotation of the {svc} database credentials.",
            "The API key for {vendor} was rotated.",
            "The signing key used by {svc} was rolled.",
        ),
        resolutions=(
            "Restored the previous credential for an overlap window and restarted {svc} to load the new one.",
            "Re-issued the token into the correct namespace and redeployed {svc}.",
            "Forced a key refresh in {svc}; authentication recovered.",
        ),
        actions=(
            ("prevent", "Make {svc} reload credentials without a restart"),
            ("prevent", "Rotate with an overlap window where both old and new secrets are valid"),
            ("detect", "Alert on authentication failures between services"),
            ("process", "Generate the list of credential consumers from the secret store's access log"),
        ),
        whys=(
            "Why did {svc} fail to authenticate? It used a revoked credential.",
            "Why? It only reads secrets at startup.",
            "Why was the old credential revoked so fast? Rotation has no overlap window.",
            "Why? The rotation job was written for a single consumer.",
            "Why was that not noticed? Consumers are listed by hand.",
        ),
    ),
    Theme(
        key="runbook_gap",
        label="Runbook gap / unclear procedure",
        weight=3,
        trend=-0.2,
        services=("orders-db", "ledger", "event-pipeline", "auth-service"),
        titles=(
            "Slow recovery of {svc}: runbook out of date",
            "{svc} failover took {n} minutes without a working procedure",
            "On-call could not find steps to recover {svc}",
        ),
        factors=(
            "The runbook for {svc} described the {old|previous|pre-migration} topology, so the first {n_small} recovery steps did not apply.",
            "There was no documented procedure for failing {db} over to {region}; responders worked it out live.",
            "The runbook link in the alert pointed to a {deleted|moved|404} wiki page.",
            "Only {n_small} people knew how to rebuild the {svc} index, and none of them were on call.",
            "The recovery script in the runbook required credentials the on-call engineer did not have.",
            "The runbook said to `restart all pods`, which is unsafe for {svc}; it caused a second wave of errors.",
            "The runbook assumed access to a bastion host that had been decommissioned, so responders had to improvise a path in.",
            "Steps in the runbook were written as prose paragraphs; under pressure, the on-call engineer skipped one.",
            "Nobody had practised the {svc} restore procedure since it was written, and it referenced a tool that no longer exists.",
            "Escalation contacts listed in the runbook had left the company.",
        ),
        triggers=(
            "A routine failure in {svc} that should have been quick to fix.",
        ),
        resolutions=(
            "A subject-matter expert was paged in and walked the on-call through the recovery.",
            "Responders reconstructed the failover steps from the infrastructure code.",
        ),
        actions=(
            ("process", "Rewrite the {svc} runbook and test it in a game day"),
            ("process", "Link runbooks from alerts by ID, not by wiki URL"),
            ("process", "Grant on-call the recovery permissions the runbook needs"),
            ("process", "Pair-train {n_small} more engineers on {svc} recovery"),
        ),
        whys=(
            "Why did recovery take long? The runbook was wrong.",
            "Why? It was not updated after the migration.",
            "Why? Runbook updates are not part of the migration checklist.",
            "Why? Runbooks have no owner.",
            "Why? Ownership was never assigned after the reorg.",
        ),
    ),
    Theme(
        key="network_partition",
        label="Network partition / connectivity loss",
        weight=5,
        trend=0.0,
        services=("orders-db", "event-pipeline", "edge-proxy", "ledger"),
        titles=(
            "Network partition between {region} and {region2}",
            "{svc} split brain after connectivity loss",
            "Packet loss on the {region} transit link degraded {svc}",
            "{svc} cluster lost quorum during network event",
        ),
        factors=(
            "A {router|switch|transit link} failure in {region} dropped {pct}% of packets between {svc} and {svc2}.",
            "The {svc} cluster lost quorum when {n_small} of its nodes could not reach each other, and it stopped accepting writes.",
            "Both sides of the partition promoted a primary, leaving {db} in split brain for {n} minutes.",
            "Health checks ran over a different network path than client traffic, so they stayed green during the partition.",
            "A security group change blocked port {port} between {svc} and {svc2} in {region}.",
            "The cloud provider's {maintenance|network event} in {region} was announced, but the notice went to an unmonitored inbox.",
            "Client timeouts of {n} seconds turned brief packet loss into long queues and cascading timeouts in {svc2}.",
            "Cross-zone traffic in {region} was silently dropped by a misprogrammed route table after provider maintenance.",
            "MTU mismatch on the new VPN tunnel dropped large packets, so small health checks passed while real requests hung.",
            "Our service mesh kept routing to endpoints across the broken link because outlier detection was disabled.",
            "A BGP route withdrawal upstream isolated the {region} edge location for {n} minutes.",
        ),
        triggers=(
            "A network event in {region}.",
            "Transit link failure between {region} and {region2}.",
            "A security group change in {region}.",
        ),
        resolutions=(
            "Traffic was drained from {region} until connectivity recovered.",
            "Fenced the stale primary, reconciled the diverged writes and restored replication.",
            "Reverted the security group change; connections recovered immediately.",
        ),
        actions=(
            ("prevent", "Add fencing so only one {db} primary can accept writes"),
            ("detect", "Run health checks over the client traffic path"),
            ("mitigate", "Automate draining of a region on sustained packet loss"),
            ("process", "Route cloud provider maintenance notices to the on-call channel"),
        ),
        whys=(
            "Why did {svc} fail? It lost connectivity to its peers.",
            "Why did that cause errors? The cluster lost quorum.",
            "Why did it not fail over cleanly? Both sides promoted a primary.",
            "Why? There is no fencing.",
            "Why? Partitions were considered too rare to design for.",
        ),
    ),
    Theme(
        key="memory_leak",
        label="Memory leak / OOM",
        weight=7,
        trend=0.1,
        services=("notifications", "search-api", "event-pipeline", "user-profile"),
        titles=(
            "{svc} pods OOM-killed in a loop",
            "Memory leak in {svc} {ver}",
            "{svc} restarts every few hours (out of memory)",
            "Heap growth in {svc} led to GC pauses and timeouts",
        ),
        factors=(
            "{svc} {ver} leaked memory in the {component}: heap grew by about {n} MB per hour until the pods were OOM-killed.",
            "The container memory limit ({mem} GiB) was lower than the JVM max heap plus off-heap buffers, so the kernel killed {svc} before GC could help.",
            "An unbounded in-process cache in {svc} kept every {cache_item} ever seen.",
            "All replicas were started at the same time, so they ran out of memory at the same time and restarted together.",
            "Long GC pauses ({n_small} s) made {svc} miss health checks, and the orchestrator restarted healthy-but-paused pods.",
            "The leak was introduced {n_small} weeks earlier, but weekly deploys restarted the pods before it mattered; the deploy freeze let it grow.",
            "A goroutine leak in the {component} of {svc} left {n_big} goroutines blocked on a channel nobody read.",
            "Each websocket connection in {svc} kept a reference to its request context after closing, so memory grew with every reconnect.",
            "A new metrics label with unbounded cardinality (user id) made the in-process registry grow without limit.",
            "The heap dump showed {n_big}k copies of the same configuration object, created per request instead of once.",
            "Memory alerts were set on the node, not the container, so {svc} was killed long before any alert fired.",
        ),
        triggers=(
            "{svc} {ver} was deployed with a memory leak.",
            "Memory growth in {svc} reached the container limit.",
        ),
        resolutions=(
            "Rolled back to {oldver} and staggered pod restarts.",
            "Raised the memory limit as a stopgap and hotfixed the cache bound.",
            "Deployed a fix for the leak in the {component}.",
        ),
        actions=(
            ("prevent", "Bound the in-process cache in {svc}"),
            ("detect", "Alert on memory growth slope per pod"),
            ("prevent", "Add a soak test to the {svc} release pipeline"),
            ("mitigate", "Stagger restarts so replicas do not fail together"),
            ("process", "Include heap profiling in the release checklist"),
        ),
        whys=(
            "Why did {svc} crash? Pods ran out of memory.",
            "Why? Memory grew steadily after the deploy.",
            "Why? A cache had no size limit.",
            "Why was it not caught before release? There is no soak test.",
            "Why? Release testing only covers short runs.",
        ),
    ),
)

THEME_BY_KEY = {t.key: t for t in THEMES}

# Secondary themes that plausibly travel with a main theme (most incidents draw from these).
COMPANIONS: dict[str, tuple[str, ...]] = {
    "tls_cert_expiry": ("alerting_gap", "runbook_gap", "secret_rotation"),
    "config_push": ("alerting_gap", "feature_flag", "runbook_gap", "capacity_spike"),
    "db_pool_exhaustion": ("capacity_spike", "memory_leak", "alerting_gap", "db_migration"),
    "alerting_gap": ("runbook_gap", "disk_full", "memory_leak"),
    "capacity_spike": ("db_pool_exhaustion", "cache_stampede", "alerting_gap", "third_party_outage"),
    "third_party_outage": ("alerting_gap", "capacity_spike", "dns_misconfig", "runbook_gap"),
    "db_migration": ("db_pool_exhaustion", "runbook_gap", "alerting_gap"),
    "cache_stampede": ("capacity_spike", "db_pool_exhaustion", "config_push"),
    "dns_misconfig": ("config_push", "network_partition", "runbook_gap"),
    "disk_full": ("alerting_gap", "memory_leak", "runbook_gap"),
    "feature_flag": ("config_push", "alerting_gap", "cache_stampede"),
    "secret_rotation": ("runbook_gap", "alerting_gap", "tls_cert_expiry"),
    "runbook_gap": ("alerting_gap", "network_partition", "db_migration"),
    "network_partition": ("dns_misconfig", "runbook_gap", "alerting_gap"),
    "memory_leak": ("alerting_gap", "capacity_spike", "disk_full"),
}

# Factors with no theme: real postmortems are full of these.
NOISE_FACTORS = (
    "The on-call handoff happened in the middle of the incident, and context was lost.",
    "Dashboards for {svc} took over a minute to load while the incident was ongoing.",
    "The status page was updated {n} minutes after impact began.",
    "Several responders joined the bridge without a clear incident commander at first.",
    "The deploy failed to complete on two hosts, which made the first rollback look ineffective.",
    "The job failed to start on the first retry because its lock file was still present.",
    "Logs from {svc} were sampled at 1%, so the first errors were hard to find.",
    "A related alert for {svc2} fired at the same time and distracted responders.",
    "The Kubernetes operator for {svc2} restarted pods while we were debugging, which reset our observations.",
    "Customer support did not know whom to escalate to, adding delay.",
    "The change calendar did not show the work that was in progress.",
    "We lacked a dashboard showing per-region error rates for {svc}.",
)

NEUTRAL_TRICKY = (
    "The job failed to start after the node was drained.",
    "The deploy failed to complete on the last batch of hosts.",
    "The health check failed to respond within its {n_small} s timeout.",
    "The Postgres operator promoted a replica automatically.",
    "The backup job failed to finish before the maintenance window closed.",
    "{person} led the response and kept support informed throughout.",
    "The on-call engineer rolled back the change within minutes of joining.",
    "The error budget for {svc} was already exhausted for the month.",
    "Human-readable error messages would have made diagnosis faster.",
    "The operator dashboard showed the queue depth rising well before the alert.",
)

BLAMEFUL = (
    "Root cause: human error by the on-call engineer.",
    "{person} should have known the change was risky and should have waited.",
    "This happened because {person} was careless during the rollout.",
    "Root cause: operator error while running the failover.",
    "It was {person}'s fault for skipping the checklist.",
    "{person} made a careless mistake and pushed to the wrong environment.",
    "The outage was caused by human error: {person} did not double-check the command.",
    "If {person} had read the runbook, this would never have happened.",
    "The root cause was a mistake by the engineer on call, who should have checked the dashboard first.",
    "{person} ignored the first alert.",
    "Root cause: human error (a fat-fingered command).",
    "Lack of attention by {person} let the bad change through review.",
)

# Restricted incidents are security-flavoured credential incidents (theme secret_rotation).
SECURITY_TITLES = (
    "API key for {vendor} exposed in a public repository",
    "Credential leak: {svc} database password found in build logs",
    "Emergency revocation of {svc} signing keys",
    "Suspicious use of the {svc} service account token",
)
SECURITY_FACTORS = (
    "A CI job printed environment variables, including the {svc} database password, into build logs readable by {n} contractors.",
    "The {vendor} API key was committed to a repository that was later made public; automated scanners found it within {n_small} minutes.",
    "The token had far broader scopes than {svc} needed, so revoking it broke {svc2} as well.",
    "Secret scanning ran only on the default branch, not on feature branches where the key was pushed.",
    "Access logs showed requests with the leaked key from addresses outside our network before revocation.",
)

GENERIC_ACTIONS = (
    ("process", "Investigate why {svc} did not degrade gracefully"),
    ("process", "Investigate options for better alerting"),
    ("process", "Look into {svc} dashboards"),
    ("process", "Update the {svc} runbook with the steps used during this incident"),
    ("detect", "Add a dashboard panel for per-region error rates of {svc}"),
    ("process", "Share this postmortem at the reliability review"),
    ("process", "Investigate further"),
    ("mitigate", "Improve the status page update process"),
)

# Impact sentences by how bad it was: SEV1/SEV2 draw from SEVERE_IMPACTS, SEV3/SEV4 from MILD_IMPACTS.
SEVERE_IMPACTS = (
    "{svc} was fully unavailable in {region} for {dur_text}.",
    "Customers could not {user_action} for {dur_text}; roughly {n_big} requests failed.",
    "{pct_high}% of requests to {svc} failed for {dur_text}.",
    "Every user in {region} was affected: nobody could {user_action} for {dur_text}.",
)
MILD_IMPACTS = (
    "{pct}% of requests to {svc} failed for {dur_text}.",
    "Elevated latency (p99 above {n_small} s) on {svc} for {dur_text}, with intermittent errors.",
    "About {n_big} users saw errors; {svc2} was degraded as a downstream effect.",
    "No data loss. {pct}% of attempts to {user_action} failed during the window.",
    "Some customers could not {user_action} for {dur_text}; most retries succeeded.",
)

# What users could not do when a service failed (the impact sentence picks from its service).
USER_ACTIONS = {
    "checkout-api": ("check out", "pay for their basket"),
    "search-api": ("search the catalogue", "browse product listings"),
    "payments-gateway": ("complete card payments", "pay by card"),
    "ledger": ("download invoices", "see their order history"),
    "auth-service": ("log in", "reset passwords"),
    "user-profile": ("update their profile", "save delivery addresses"),
    "edge-proxy": ("reach the site", "load any page"),
    "ci-runners": ("merge changes", "run builds"),
    "orders-db": ("place orders", "view their orders"),
    "event-pipeline": ("see order status updates", "receive tracking events"),
    "notifications": ("receive push notifications", "get order alerts"),
    "email-sender": ("receive order emails", "get password reset emails"),
}

GOOD_THINGS = (
    "The incident commander was assigned within minutes.",
    "Rollback worked as designed once we decided to use it.",
    "Communication with support was clear and {frequent|regular}.",
    "The {svc} dashboards made the cause {obvious|clear} quickly.",
    "Responders from {team} and the owners of {svc2} worked well together.",
    "The status page was updated {early|promptly} and customers were kept informed.",
    "We had a tested backup and did not need it, but knowing it was there helped.",
    "Handover between time zones went smoothly thanks to the running incident notes.",
    "Feature flags let us switch off the affected path without a deploy.",
)
BAD_THINGS = (
    "It took too long to decide to roll back.",
    "We had no single view of what changed recently.",
    "Paging the right team took several attempts.",
    "The runbook for {svc} was incomplete.",
    "The status page lagged behind the actual impact.",
    "Too many people joined the bridge and discussion went in circles.",
    "We chased a red herring in {svc2} for {n} minutes.",
    "Logs we needed had already been rotated away.",
    "Nobody was sure who could approve an emergency change.",
    "Our dashboards for {svc} did not show per-region data.",
    "The escalation policy for {team} still listed people who had moved teams.",
)
LUCKY_THINGS = (
    "The incident happened outside the peak shopping window.",
    "An engineer familiar with {svc} happened to be online.",
    "A backup from the previous night was available.",
    "Traffic was low because of a public holiday in most regions.",
    "A scheduled batch job that would have made things worse was paused for unrelated reasons.",
)

CAMPAIGNS = ("the spring sale", "Black Friday", "a TV advert", "the newsletter send", "a product launch",
             "the partner launch", "a flash sale", "the end-of-month billing run")
VENDORS = (("PayBridge", "card payments"), ("PostPigeon", "email delivery"), ("Mapwise", "geocoding"),
           ("TextLane", "SMS"), ("CloudSign", "identity verification"), ("Ratewell", "currency rates"),
           ("ShipQuick", "shipping quotes"))
CONFIG_FILES = ("routes.yaml", "limits.json", "upstreams.conf", "gateway.toml", "service.yaml", "envoy.yaml")
CACHES = ("redis-main", "memcached-pool", "profile-cache", "search-cache")
COMPONENTS = ("batching layer", "websocket handler", "template renderer", "metrics exporter", "retry queue",
              "image resizer")
CACHE_ITEMS = ("session", "template", "user record", "query plan", "device token")
FLAGS = ("new_checkout_flow", "search_v2_ranking", "profile_redesign", "batch_push", "smart_retry",
         "one_click_pay", "lazy_cart", "async_receipts")
TABLES = ("orders", "payments", "sessions", "user_events", "invoices", "line_items")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
DISK_PATHS = ("/var/log/app", "/data/wal", "/var/lib/docker", "/srv/cache", "/tmp")


def duration_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 90:
        return f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} hours"
