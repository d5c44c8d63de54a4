-- Raw visits (issue #18): one row per visit for as long as its raw hits are kept, with the
-- visit's own values and measures (as agg_visit_facets has them) and the things it did (as
-- agg_visit_actions has them), so that a filter by two things done ("viewed / and sent a
-- Video event") is an index lookup of the visits that did both, not a derivation of every
-- visit of the period from raw hits again.
--
-- This is raw data, not an aggregate: it holds the session id (the roll-up finds a visit's
-- rows by it when the visit changes, and DELETE /privacy/me erases by it like every table
-- with one), no IP, and only what the aggregates keep of a hit (paths, event categories, goal
-- ids). Partitioned by the UTC hour of the visit's first action, as `hits` is by the hour of
-- each hit: the job drops a visit's hour with the hits' one (retention/purge.py, P4: dropped,
-- never deleted), so a row never outlives the hit it started with. The roll-up creates the
-- partitions it writes into, and the job those of the hours ahead. Visits rolled up before
-- this migration have no row: for RETENTION_DAYS after the upgrade, a filter by two things
-- done counts only visits rolled up since.
CREATE TABLE raw_visits (
    site_id    integer NOT NULL,
    session_id uuid NOT NULL,
    started_at timestamptz NOT NULL,  -- its first action
    day        date NOT NULL,         -- the local day it started, as in the aggregates
    hour       timestamptz NOT NULL,  -- the instant its local hour starts
    ref_type   text NOT NULL,
    ref_name   text NOT NULL,
    campaign   text NOT NULL,
    browser    text NOT NULL,
    os         text NOT NULL,
    device     text NOT NULL,
    country    text NOT NULL,
    entry_page text NOT NULL,         -- '' no pageview
    actions    integer NOT NULL,      -- over its hits of the day it started, as everywhere
    pageviews  integer NOT NULL,
    seconds    bigint NOT NULL,
    did        text[] NOT NULL        -- 'page:/path', 'event:category', 'goal:id', each once
) PARTITION BY RANGE (started_at);
-- The roll-up finds a session's visits (to replace them), erasure a session's rows.
CREATE INDEX raw_visits_session ON raw_visits (site_id, session_id, started_at);
-- Visits that did all of several things: the intersection of their posting lists.
CREATE INDEX raw_visits_did ON raw_visits USING gin (did);
