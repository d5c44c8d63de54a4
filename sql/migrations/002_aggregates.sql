-- Daily aggregates: what is kept of a day once its raw partition is dropped (promises P4, P9).
--
-- One row per site, UTC day and value. Every measure is additive over days (counts and sums,
-- never ratios or averages), so a report over a period is a SUM over its days and computes
-- ratios at the end. No session id, no IP, no query string or fragment: pages are URL paths,
-- download and outlink targets are stripped URLs. Values seen in fewer visits than
-- COLLECTOR_ROLLUP_MIN_COUNT on a day are folded into the label '(others)'.
--
-- Visits are cut at midnight UTC: a visit counts on the day it starts, and its per-visit
-- measures (bounce, seconds, entry and exit page) are over its hits of that day. That keeps
-- a day's numbers the same before and after its roll-up. docs/aggregates.md has the details.
-- Citus-ready: site_id leads every key; no foreign keys.

-- The path of a URL ("/" when empty): what page reports group by. Query strings and
-- fragments carry search terms, tokens and e-mail addresses; aggregates never hold them.
-- Same result as collector.tracking.enrich.url_path (RFC 3986, appendix B).
CREATE FUNCTION url_path(url text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(nullif(substring(url FROM '^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)'), ''), '/');

-- A URL without query string, fragment and user:password@ (download and outlink targets).
-- Same result as collector.tracking.enrich.strip_url.
CREATE FUNCTION strip_url(url text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN regexp_replace(substring(url FROM '^[^?#]*'), '^([^:/?#]+:)?//[^/?#]*@', '\1//');

-- Set by the roll-up of the day before, on a session's first hit after midnight when it
-- continues a visit of that day: once the day before is dropped, visit_hits() would
-- otherwise count that hit as a new visit, and the day's visits would change.
ALTER TABLE hits ADD COLUMN continues_visit boolean NOT NULL DEFAULT false;

-- visit_hits() honours the flag from 004_reports.sql on (with the heartbeat rule).

-- Site totals per day: visits-over-time and summary.
CREATE TABLE agg_site_days (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,   -- every hit but pings
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,   -- visits with one action
    visit_seconds bigint NOT NULL,   -- sum over visits of last hit - first hit
    PRIMARY KEY (site_id, day)
);

-- Pages by path: pages, entry-pages, exit-pages.
CREATE TABLE agg_pages (
    site_id   integer NOT NULL,
    day       date NOT NULL,
    page      text NOT NULL,
    pageviews bigint NOT NULL,
    visits    bigint NOT NULL,       -- visits that viewed the page ("unique pageviews")
    entries   bigint NOT NULL,       -- visits that started on the page
    bounces   bigint NOT NULL,       -- of those entries, visits with one action
    exits     bigint NOT NULL,       -- visits whose last pageview of the day was the page
    PRIMARY KEY (site_id, day, page)
);

CREATE TABLE agg_titles (
    site_id   integer NOT NULL,
    day       date NOT NULL,
    title     text,                  -- NULL: pageviews without a title
    pageviews bigint NOT NULL,
    visits    bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (site_id, day, title)
);

-- Visit-level values, taken from the hit that started the visit: referrers, search-engines,
-- campaigns, browsers, os, devices. Each row carries the same five measures (visits, and of
-- those visits: actions, pageviews, bounces, seconds).
CREATE TABLE agg_referrers (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    ref_type      text NOT NULL,     -- direct, website, search, social, campaign (never folded)
    ref_name      text,              -- NULL for direct
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,
    visit_seconds bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (site_id, day, ref_type, ref_name)
);

CREATE TABLE agg_campaigns (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    name          text NOT NULL,
    source        text,
    medium        text,
    keyword       text,
    content       text,
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,
    visit_seconds bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (site_id, day, name, source, medium, keyword, content)
);

-- browser, os, device: one table, told apart by `attribute`; devices are never folded.
CREATE TABLE agg_platforms (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    attribute     text NOT NULL CHECK (attribute IN ('browser', 'os', 'device')),
    value         text,              -- NULL: not recognised
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,
    visit_seconds bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (site_id, day, attribute, value)
);

-- Events by category, action and name, as the events report shows them. The name is free
-- text (and may be personal): a combination seen in fewer visits than the threshold is
-- folded whole, as campaigns are.
CREATE TABLE agg_events (
    site_id     integer NOT NULL,
    day         date NOT NULL,
    category    text NOT NULL,
    action      text NOT NULL,
    name        text,                       -- NULL: events without e_n
    events      bigint NOT NULL,
    visits      bigint NOT NULL,
    value_sum   double precision NOT NULL,  -- sum of e_v; average = value_sum / value_count
    value_count bigint NOT NULL,            -- events that carried a value
    UNIQUE NULLS NOT DISTINCT (site_id, day, category, action, name)
);

-- downloads and outlinks, by stripped target URL.
CREATE TABLE agg_targets (
    site_id integer NOT NULL,
    day     date NOT NULL,
    kind    text NOT NULL CHECK (kind IN ('download', 'outlink')),
    target  text NOT NULL,
    hits    bigint NOT NULL,
    visits  bigint NOT NULL,
    PRIMARY KEY (site_id, day, kind, target)
);

CREATE TABLE agg_site_search (
    site_id     integer NOT NULL,
    day         date NOT NULL,
    keyword     text NOT NULL,       -- lowercased and trimmed, as the report groups them
    searches    bigint NOT NULL,
    visits      bigint NOT NULL,
    no_results  bigint NOT NULL,     -- searches that reported 0 results (search_count=0)
    PRIMARY KEY (site_id, day, keyword)
);
