-- Countries, screen sizes and languages (issue #17): visit-level dimensions, aggregated like
-- browsers and referrers (docs/aggregates.md, "Adding an aggregate").
--
-- country / region: looked up from the *truncated* address only (COLLECTOR_GEOIP_DB;
-- tracking/geo.py): ISO 3166-1 alpha-2 ("DE"), and a region ("DE-BY") only where the
-- database's network holds the whole truncated prefix. NULL without a database.
ALTER TABLE hits ADD COLUMN country text, ADD COLUMN region text;

-- Screen widths in classes (the hit's `resolution`, "WIDTHxHEIGHT" in CSS pixels, as
-- screen.width and screen.height give it); '' for none. The classes are a fixed vocabulary,
-- never folded; reports order them by `screen_class_rank`.
CREATE FUNCTION screen_width(resolution text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN resolution ~ '^[0-9]{1,5}x[0-9]{1,5}$' THEN split_part(resolution, 'x', 1)::integer END;

CREATE FUNCTION screen_class(resolution text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN screen_width(resolution) IS NULL THEN ''
    WHEN screen_width(resolution) < 576 THEN '< 576'
    WHEN screen_width(resolution) < 992 THEN '576–991'
    WHEN screen_width(resolution) < 1440 THEN '992–1439'
    WHEN screen_width(resolution) < 1920 THEN '1440–1919'
    ELSE '≥ 1920' END;

CREATE FUNCTION screen_class_rank(class text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN array_position(ARRAY['< 576', '576–991', '992–1439', '1440–1919', '≥ 1920', ''], class);

-- Languages: the hit's `lang` is a lowercase BCP 47 tag ("de-at", "zh-hant-tw"; params.py).
-- Primary language, and its region where the tag has one (a 2-letter or 3-digit subtag
-- after the language and an optional script), uppercase; '' for none.
CREATE FUNCTION language_of(tag text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(split_part(tag, '-', 1), '');

CREATE FUNCTION language_region(tag text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(upper(substring(tag FROM '^[a-z]{2,8}(?:-[a-z]{4})?-([a-z]{2}|[0-9]{3})(?:-|$)')), '');

-- Aggregates -----------------------------------------------------------------------------
CREATE TABLE agg_countries (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    country       text NOT NULL,   -- '' unknown (no database, or no entry)
    region        text NOT NULL,   -- '' unknown or not looked up
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,
    visit_seconds bigint NOT NULL,
    PRIMARY KEY (site_id, day, country, region)
) WITH (fillfactor = 90);

CREATE TABLE agg_screens (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    width_class   text NOT NULL,   -- screen_class(resolution)
    resolution    text NOT NULL,   -- '' none
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,
    visit_seconds bigint NOT NULL,
    PRIMARY KEY (site_id, day, width_class, resolution)
) WITH (fillfactor = 90);

CREATE TABLE agg_languages (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    language      text NOT NULL,   -- language_of(lang), '' none
    region        text NOT NULL,   -- language_region(lang), '' none
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,
    visit_seconds bigint NOT NULL,
    PRIMARY KEY (site_id, day, language, region)
) WITH (fillfactor = 90);

-- Backfill from the raw hits still kept (resolution and lang were stored before; country is
-- new, so ''), with the roll-up's own derivation (sql/rollup/40_visit_hits.sql,
-- 45_visits.sql, over every hit, as its first run after 007 did): the new tables then hold
-- what the roll-up would have added had they existed, and a late hit that re-cuts an older
-- visit subtracts from them what is there, not from nothing.
CREATE TEMP TABLE m008_visits ON COMMIT DROP AS
WITH marked AS (
    SELECT h.site_id, h.session_id, h.ts, h.ctid AS tie, h.action, h.action = 'ping' AS ping,
           coalesce(h.resolution, '') AS resolution, coalesce(h.lang, '') AS lang,
           coalesce((h.new_visit AND h.action <> 'ping')
                    OR h.ts - lag(h.ts) OVER w > interval '30 minutes', true) AS gap_start,
           lag(h.ts) OVER w IS NULL AND h.continues_visit AS continues
    FROM hits h
    -- what the aggregates hold: hits that arrive later are the next roll-up's to add
    WHERE h.arrival < (SELECT arrived_until FROM rollup_state)
    WINDOW w AS (PARTITION BY h.site_id, h.session_id ORDER BY h.ts, h.action = 'ping', h.ctid)
), segmented AS (
    SELECT m.*, sum(gap_start::int) OVER (PARTITION BY site_id, session_id
                                          ORDER BY ts, ping, tie ROWS UNBOUNDED PRECEDING)
                    AS segment
    FROM marked m
), counted AS (
    SELECT g.*, count(*) FILTER (WHERE NOT ping)
                    OVER (PARTITION BY site_id, session_id, segment ORDER BY ts, ping, tie
                          ROWS UNBOUNDED PRECEDING) AS actions_so_far,
                bool_or(continues) OVER (PARTITION BY site_id, session_id, segment)
                    AS continued
    FROM segmented g
), visit_hits AS (
    SELECT c.*, NOT c.ping AND c.actions_so_far = 1 AS is_start,
           min(c.ts) FILTER (WHERE NOT c.ping AND c.actions_so_far = 1)
               OVER (PARTITION BY c.site_id, c.session_id, c.segment) AS started_at
    FROM counted c
    WHERE c.actions_so_far > 0 AND NOT c.continued
), local AS (
    SELECT v.*, (v.ts AT TIME ZONE z.timezone)::date AS day,
           (v.started_at AT TIME ZONE z.timezone)::date AS start_day
    FROM visit_hits v
    JOIN site_zones z ON z.site_id = v.site_id AND v.started_at >= z.since
                     AND v.started_at < z.until
)
SELECT site_id, start_day AS day,
       -- actions and bounces as Matomo counts them (009's is_action, which may not exist yet:
       -- an install can apply 009 before 008); before 009 every hit but a ping was an action
       count(*) FILTER (WHERE day = start_day
                          AND action IN ('pageview', 'download', 'outlink', 'search', 'event'))
           AS actions,
       count(*) FILTER (WHERE day = start_day AND action = 'pageview') AS pageviews,
       extract(epoch FROM max(ts) FILTER (WHERE day = start_day) - started_at)::bigint
           AS seconds,
       min(resolution) FILTER (WHERE is_start) AS resolution,
       min(lang) FILTER (WHERE is_start) AS lang
FROM local
GROUP BY site_id, session_id, segment, start_day, started_at;

INSERT INTO agg_countries
SELECT site_id, day, '', '', count(*), sum(actions), sum(pageviews),
       count(*) FILTER (WHERE actions <= 1), sum(seconds)
FROM m008_visits GROUP BY site_id, day;

INSERT INTO agg_screens
SELECT site_id, day, screen_class(resolution), resolution, count(*), sum(actions),
       sum(pageviews), count(*) FILTER (WHERE actions <= 1), sum(seconds)
FROM m008_visits GROUP BY site_id, day, resolution;

INSERT INTO agg_languages
SELECT site_id, day, language_of(lang), language_region(lang), count(*), sum(actions),
       sum(pageviews), count(*) FILTER (WHERE actions <= 1), sum(seconds)
FROM m008_visits GROUP BY site_id, day, language_of(lang), language_region(lang);
