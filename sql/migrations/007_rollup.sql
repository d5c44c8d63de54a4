-- Reports at any traffic, cut at each site's own midnight, retention to the hour.
--
-- Before: raw hits in daily UTC partitions; reports derived visits from every raw hit of the
-- period; a day was rolled up (and folded) only once it expired, up to 8 days later.
-- Now (docs/aggregates.md):
--   * each site has a time zone (site_zones, with its history); a visit is cut in the zone
--     that was the site's when the visit started;
--   * hits carry `arrival` (when their COPY ran): the roll-up job (sql/rollup/) folds every
--     hit that arrived since its last run into the aggregates within a minute, whatever the
--     hit's own time (late, back-dated, replayed from a spill file);
--   * the aggregates are kept per local day (site totals per local hour) and are exact sums of
--     per-visit contributions, so a late hit or an erasure subtracts a visit's old
--     contribution and adds its new one; rare values are folded into '(others)' when the
--     day's raw data is dropped (sql/fold/);
--   * raw hits live in hourly partitions, dropped hour by hour (P4: retention to the hour).
-- Key columns of the aggregates are NOT NULL ('' stands for "none") so that every write is an
-- index lookup on the primary key.

-- Time zones ------------------------------------------------------------------------------
-- The zone of each site over time: [since, until). The current one has until = infinity.
-- Sites that existed before this migration were cut in UTC, and stay so until changed.
CREATE TABLE site_zones (
    site_id  integer NOT NULL,
    since    timestamptz NOT NULL,
    until    timestamptz NOT NULL DEFAULT 'infinity',
    timezone text NOT NULL,
    PRIMARY KEY (site_id, since),
    CHECK (since < until)
);
INSERT INTO site_zones (site_id, since, timezone) SELECT site_id, '-infinity', 'UTC' FROM sites;

-- Arrival -----------------------------------------------------------------------------------
-- The time of the transaction that wrote the hit (the writer's COPY, a spill replay): what
-- the roll-up reads new hits by. Rows already stored get the time of this migration, so the
-- first roll-up takes in every raw hit. BRIN: rows are appended in arrival order, so a range
-- index of a few pages per partition finds the newest rows.
ALTER TABLE hits ADD COLUMN arrival timestamptz NOT NULL DEFAULT now();
CREATE INDEX hits_arrival ON hits USING brin (arrival);

-- Hourly partitions ---------------------------------------------------------------------------
-- Move each daily partition's rows into hourly ones (named hits_pYYYYMMDDHH, UTC hours), so
-- the retention job can drop raw data to the hour. Empty daily partitions (days ahead) go.
DO $$
DECLARE
    part record;
    lo timestamptz;
    hour_start timestamptz;
BEGIN
    FOR part IN
        SELECT c.relname
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'hits'::regclass AND c.relname ~ '^hits_p[0-9]{8}$'
        ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE hits DETACH PARTITION %I', part.relname);
        lo := to_date(substr(part.relname, 7, 8), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC';
        FOR hour_start IN
            EXECUTE format('SELECT DISTINCT date_trunc(''hour'', ts AT TIME ZONE ''UTC'') '
                           'AT TIME ZONE ''UTC'' FROM %I', part.relname)
        LOOP
            EXECUTE format(
                'CREATE TABLE IF NOT EXISTS %I PARTITION OF hits FOR VALUES FROM (%L) TO (%L)',
                'hits_p' || to_char(hour_start AT TIME ZONE 'UTC', 'YYYYMMDDHH24'),
                hour_start, hour_start + interval '1 hour');
        END LOOP;
        EXECUTE format('INSERT INTO hits SELECT * FROM %I', part.relname);
        EXECUTE format('DROP TABLE %I', part.relname);
    END LOOP;
END
$$;

-- A local time as ISO 8601 with its UTC offset ('2026-10-25T02:00+02:00', or 'Z' for UTC):
-- the hours of visits-by-hour, which repeat when clocks go back.
CREATE FUNCTION local_iso(ts timestamptz, zone text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT to_char(ts AT TIME ZONE zone, 'YYYY-MM-DD"T"HH24:MI') || CASE
               WHEN o = interval '0' THEN 'Z'
               WHEN o > interval '0' THEN '+' || to_char(o, 'HH24:MI')
               ELSE '-' || to_char(-o, 'HH24:MI') END
    FROM (SELECT (ts AT TIME ZONE zone) - (ts AT TIME ZONE 'UTC') AS o) x;
END;

-- Reports no longer derive visits from raw hits; the reference derivation lives in the tests.
DROP FUNCTION platform_visits(integer, date, date, text);
DROP FUNCTION target_hits(integer, date, date, text);
DROP FUNCTION visit_hits(integer, timestamptz, timestamptz);

-- Roll-up state -------------------------------------------------------------------------------
-- Every hit that arrived before `arrived_until` is in the aggregates. -infinity: none yet.
CREATE TABLE rollup_state (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    arrived_until timestamptz NOT NULL
);
INSERT INTO rollup_state (arrived_until) VALUES ('-infinity');

-- Days whose rare values were folded into '(others)' (their raw data is gone). Days rolled up
-- before this migration were folded then.
CREATE TABLE folded_days (
    site_id   integer NOT NULL,
    day       date NOT NULL,
    folded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, day)
);
INSERT INTO folded_days (site_id, day) SELECT site_id, day FROM agg_site_days;

-- Aggregates --------------------------------------------------------------------------------
-- Site totals per local hour, which is also what days are summed from. `hour` is the instant
-- the site's local hour starts (two rows for the repeated hour when clocks go back); NULL
-- for days rolled up before this migration, whose hours are unknown (UTC days).
CREATE TABLE agg_site_hours (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    hour          timestamptz,
    visits        bigint NOT NULL,   -- visits that started in the hour
    actions       bigint NOT NULL,   -- every hit but pings, by the hit's own hour
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,   -- of the visits started, those with one action
    visit_seconds bigint NOT NULL,   -- of the visits started, last hit - first hit
    UNIQUE NULLS NOT DISTINCT (site_id, day, hour)
) WITH (fillfactor = 90);  -- room on the page for the roll-up's in-place updates of the hour
INSERT INTO agg_site_hours
SELECT site_id, day, NULL, visits, actions, pageviews, bounces, visit_seconds FROM agg_site_days;
DROP TABLE agg_site_days;

-- '' instead of NULL in key columns, and primary keys instead of NULLS NOT DISTINCT.
UPDATE agg_titles SET title = '' WHERE title IS NULL;
UPDATE agg_referrers SET ref_name = '' WHERE ref_name IS NULL;
UPDATE agg_campaigns SET source = coalesce(source, ''), medium = coalesce(medium, ''),
    keyword = coalesce(keyword, ''), content = coalesce(content, '')
WHERE source IS NULL OR medium IS NULL OR keyword IS NULL OR content IS NULL;
UPDATE agg_platforms SET value = '' WHERE value IS NULL;
UPDATE agg_events SET name = '' WHERE name IS NULL;

DO $$
DECLARE
    con record;
BEGIN
    FOR con IN
        SELECT conrelid::regclass AS tab, conname
        FROM pg_constraint
        WHERE contype = 'u' AND conrelid IN ('agg_titles'::regclass, 'agg_referrers'::regclass,
              'agg_campaigns'::regclass, 'agg_platforms'::regclass, 'agg_events'::regclass)
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', con.tab, con.conname);
    END LOOP;
END
$$;

ALTER TABLE agg_titles ALTER title SET NOT NULL, ADD PRIMARY KEY (site_id, day, title);
ALTER TABLE agg_referrers ALTER ref_name SET NOT NULL,
    ADD PRIMARY KEY (site_id, day, ref_type, ref_name);
ALTER TABLE agg_campaigns ALTER source SET NOT NULL, ALTER medium SET NOT NULL,
    ALTER keyword SET NOT NULL, ALTER content SET NOT NULL,
    ADD PRIMARY KEY (site_id, day, name, source, medium, keyword, content);
ALTER TABLE agg_platforms ALTER value SET NOT NULL,
    ADD PRIMARY KEY (site_id, day, attribute, value);
-- numeric: the roll-up subtracts what it added, and float sums would not come back to 0.
ALTER TABLE agg_events ALTER name SET NOT NULL, ALTER value_sum TYPE numeric,
    ADD PRIMARY KEY (site_id, day, category, action, name);

ALTER TABLE agg_pages SET (fillfactor = 90);
ALTER TABLE agg_titles SET (fillfactor = 90);
ALTER TABLE agg_referrers SET (fillfactor = 90);
ALTER TABLE agg_platforms SET (fillfactor = 90);
