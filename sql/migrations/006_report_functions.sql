-- Report bodies shared by several report files, so each rule is written once.

-- Visits per value of one platform attribute ('browser', 'os' or 'device') over a period:
-- browsers.sql, os.sql and devices.sql. A visit counts on the day it starts and is
-- attributed by the hit that started it (visit_hits marks it); visits are cut at midnight
-- UTC, as the daily aggregates keep them, so actions and bounce are over the visit's hits of
-- its first day. Actions exclude heartbeat pings; a bounce is a visit with one action.
-- Shape: `per_day` holds additive columns only, one row per UTC day and value: raw hits for
-- the days still kept, agg_platforms for the days rolled up (a day's roll-up and the drop of
-- its partition are one transaction, so each day is in exactly one; docs/aggregates.md).
CREATE FUNCTION platform_visits(p_site integer, p_first date, p_last date, p_attribute text)
RETURNS TABLE (value text, visits bigint, actions bigint, bounces bigint)
LANGUAGE sql STABLE AS $$
    WITH hits AS (
        SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).action,
               CASE p_attribute WHEN 'browser' THEN (v.hit).browser
                                WHEN 'os' THEN (v.hit).os
                                ELSE (v.hit).device END AS value,
               ((v.hit).ts AT TIME ZONE 'UTC')::date AS day
        FROM visit_hits(p_site, p_first::timestamp AT TIME ZONE 'UTC',
                        (p_last + 1)::timestamp AT TIME ZONE 'UTC') v
    ), visits AS (
        SELECT day, min(value) FILTER (WHERE visit_start) AS value,
               count(*) FILTER (WHERE action <> 'ping') AS actions
        FROM hits
        GROUP BY session_id, visit_no, day
        HAVING bool_or(visit_start)
    ), per_day AS (
        SELECT day, coalesce(value, '(unknown)') AS value,
               count(*) AS visits, sum(actions) AS actions,
               count(*) FILTER (WHERE actions = 1) AS bounces
        FROM visits
        GROUP BY 1, 2
        UNION ALL
        SELECT day, coalesce(a.value, '(unknown)'), a.visits, a.actions, a.bounces
        FROM agg_platforms a
        WHERE site_id = p_site AND day BETWEEN p_first AND p_last AND attribute = p_attribute
    )
    SELECT value, sum(visits)::bigint, sum(actions)::bigint, sum(bounces)::bigint
    FROM per_day
    GROUP BY value
$$;

-- Hits and visits per target URL of one kind ('download' or 'outlink') over a period:
-- downloads.sql and outlinks.sql. The URL is shown without query string, fragment and
-- user:password@ (strip_url): they can carry tokens or personal data, and would split one
-- target into many rows. visits: per day, the visits with that target, summed over days.
-- Additive `per_day` as above, from raw hits or agg_targets.
CREATE FUNCTION target_hits(p_site integer, p_first date, p_last date, p_kind text)
RETURNS TABLE (url text, hits bigint, visits bigint)
LANGUAGE sql STABLE AS $$
    WITH hits AS (
        SELECT (v.hit).session_id, v.visit_no, (v.hit).ts, (v.hit).target_url
        FROM visit_hits(p_site, p_first::timestamp AT TIME ZONE 'UTC',
                        (p_last + 1)::timestamp AT TIME ZONE 'UTC') v
        WHERE (v.hit).action = p_kind
    ), per_day AS (
        SELECT (ts AT TIME ZONE 'UTC')::date AS day, strip_url(target_url) AS url,
               count(*) AS hits, count(DISTINCT (session_id, visit_no)) AS visits
        FROM hits
        WHERE target_url IS NOT NULL
        GROUP BY 1, 2
        UNION ALL
        SELECT day, target, a.hits, a.visits
        FROM agg_targets a
        WHERE site_id = p_site AND day BETWEEN p_first AND p_last AND kind = p_kind
    )
    SELECT url, sum(hits)::bigint, sum(visits)::bigint
    FROM per_day
    GROUP BY url
$$;
