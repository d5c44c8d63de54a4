-- Web-server usage data ("Nutzungsdaten" in the privacy policy): the web server's own access
-- log, received as syslog or imported from files (collector/usage/). A second data category
-- beside the tracking hits, with its own tables, partitions and retention
-- (COLLECTOR_USAGE_RETENTION_DAYS). Its legal basis is legitimate interest, not consent, so
-- nothing here is linked to an analytics session: no session id, no cookie, no visitor id,
-- and no foreign key to or from the tracking tables.

-- One row per request, only the fields the policy lists. ip_prefix is truncated on arrival
-- (COLLECTOR_IP_MASK_LEVEL), before the row is queued; NULL when the log held no address (or
-- a host name, which is not kept). path and referrer are without query string and fragment
-- unless COLLECTOR_USAGE_QUERY_STRINGS; browser and os are families ("Firefox", "Windows"),
-- never the user agent itself. Hourly partitions (UTC hours), dropped whole at expiry
-- (storage/partitions.py), as `hits` are.
CREATE TABLE usage_requests (
    site_id   integer NOT NULL,
    ts        timestamptz NOT NULL,
    ip_prefix inet,
    path      text NOT NULL,          -- '' when the request line named none
    status    smallint NOT NULL CHECK (status BETWEEN 100 AND 599),
    bytes     bigint NOT NULL CHECK (bytes >= 0),
    referrer  text,
    browser   text,
    os        text,
    bot       boolean NOT NULL,
    arrival   timestamptz NOT NULL DEFAULT now()  -- the writing transaction's start
) PARTITION BY RANGE (ts);
-- The roll-up reads new rows by arrival; rows are appended in arrival order (BRIN). Nothing
-- else reads raw rows, so no other index slows the import down.
CREATE INDEX usage_requests_arrival ON usage_requests USING brin (arrival);

-- Every row that arrived before `arrived_until` is in the usage aggregates.
CREATE TABLE usage_rollup_state (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    arrived_until timestamptz NOT NULL
);
INSERT INTO usage_rollup_state (arrived_until) VALUES ('-infinity');

-- Aggregates, per site and local day (the zone the site had at the request's time). A
-- request counts on its own: there are no visits here, so the roll-up only ever adds.
-- Key columns are NOT NULL ('' for none) so that every write is a primary-key lookup.

-- Totals per local hour (`hour`: the instant the local hour starts). Never folded.
CREATE TABLE usage_agg_hours (
    site_id      integer NOT NULL,
    day          date NOT NULL,
    hour         timestamptz NOT NULL,
    requests     bigint NOT NULL,
    bytes        bigint NOT NULL,
    bot_requests bigint NOT NULL,
    status_1xx   bigint NOT NULL,
    status_2xx   bigint NOT NULL,
    status_3xx   bigint NOT NULL,
    status_4xx   bigint NOT NULL,
    status_5xx   bigint NOT NULL,
    PRIMARY KEY (site_id, day, hour)
) WITH (fillfactor = 90);

-- Requests per status code. Never folded: there are few codes and they single no one out.
CREATE TABLE usage_agg_status (
    site_id  integer NOT NULL,
    day      date NOT NULL,
    status   smallint NOT NULL,
    requests bigint NOT NULL,
    bytes    bigint NOT NULL,
    PRIMARY KEY (site_id, day, status)
) WITH (fillfactor = 90);

-- Content delivered (status below 400: transferred, redirected or not modified) by path.
CREATE TABLE usage_agg_content (
    site_id  integer NOT NULL,
    day      date NOT NULL,
    path     text NOT NULL,
    requests bigint NOT NULL,
    bytes    bigint NOT NULL,
    PRIMARY KEY (site_id, day, path)
) WITH (fillfactor = 90);

-- Not found (404) by path and referring page ('' for none): broken links and where they are.
CREATE TABLE usage_agg_not_found (
    site_id  integer NOT NULL,
    day      date NOT NULL,
    path     text NOT NULL,
    referrer text NOT NULL,
    requests bigint NOT NULL,
    PRIMARY KEY (site_id, day, path, referrer)
) WITH (fillfactor = 90);

-- Referring pages (requests with a referrer only).
CREATE TABLE usage_agg_referrers (
    site_id  integer NOT NULL,
    day      date NOT NULL,
    referrer text NOT NULL,
    requests bigint NOT NULL,
    PRIMARY KEY (site_id, day, referrer)
) WITH (fillfactor = 90);

-- Browser and OS families of requests by people, and bot names of requests by bots:
-- attribute 'browser', 'os' or 'bot'; value '' when not recognised.
CREATE TABLE usage_agg_agents (
    site_id   integer NOT NULL,
    day       date NOT NULL,
    attribute text NOT NULL CHECK (attribute IN ('browser', 'os', 'bot')),
    value     text NOT NULL,
    requests  bigint NOT NULL,
    PRIMARY KEY (site_id, day, attribute, value)
) WITH (fillfactor = 90);

-- Truncated prefixes with their errors, for security purposes ("Sicherheitszwecke"). Kept
-- only as long as the raw rows: a day's rows are deleted when the day expires, never folded
-- or kept past retention (P9: nothing past raw retention holds an address prefix).
CREATE TABLE usage_agg_prefixes (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    prefix        inet NOT NULL,
    requests      bigint NOT NULL,
    client_errors bigint NOT NULL,  -- 4xx
    server_errors bigint NOT NULL,  -- 5xx
    PRIMARY KEY (site_id, day, prefix)
) WITH (fillfactor = 90);

-- Days whose raw rows are all gone and whose rare values were folded into '(others)'.
CREATE TABLE usage_folded_days (
    site_id   integer NOT NULL,
    day       date NOT NULL,
    folded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, day)
);

-- What `collector usage import` has read of each log file, so that importing it again (or
-- the same file rotated, compressed, or grown since) skips the lines already counted. A file
-- is known by `fingerprint`: SHA-256 over the first `fingerprint_lines` lines as the
-- importer reduces them (time to the second, the coarsest truncated prefix, path without
-- query, status, bytes; a refused line by its reason): the address only as that prefix,
-- nothing the usage rows do not hold already; no hash of a raw line, which would be a
-- pseudonym of the address in it. `lines`: how many lines from the start are done. Deleted
-- once `newest` (the file's latest request) is past retention: a file imported again then
-- holds only lines past retention, which are skipped anyway.
CREATE TABLE usage_imports (
    site_id           integer NOT NULL,
    fingerprint       bytea NOT NULL,
    fingerprint_lines integer NOT NULL CHECK (fingerprint_lines >= 1),
    lines             bigint NOT NULL,
    newest            timestamptz,
    imported_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, fingerprint)
);
