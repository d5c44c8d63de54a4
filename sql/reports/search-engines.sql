-- search-engines: visits that came from a search engine, per engine, most visits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Engines are recognised at write time by referrer host (collector/tracking/referrers.py).
-- No keywords: search engines stopped sending them years ago.
--
-- A visit counts on the day it starts and is attributed by the hit that started it
-- (visit_hits marks it). Visits are cut at midnight UTC, as the daily aggregates keep them:
-- actions and bounce are over the visit's hits of its first day. Actions exclude heartbeat
-- pings; a bounce is a visit with one action.
-- Shape: `per_day` holds additive columns only, one row per UTC day and engine: raw hits
-- for the days still kept, agg_referrers (ref_type 'search') for the days rolled up (a
-- day's roll-up and the drop of its partition are one transaction, so each day is in
-- exactly one of the two; docs/aggregates.md). The final SELECT sums them and computes
-- the rate; LIMIT comes last.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).action,
           (v.hit).ref_type, (v.hit).ref_name,
           ((v.hit).ts AT TIME ZONE 'UTC')::date AS day
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT day, min(ref_type) FILTER (WHERE visit_start) AS ref_type,
           min(ref_name) FILTER (WHERE visit_start) AS ref_name,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT day, ref_name AS search_engine,
           count(*) AS visits, sum(actions) AS actions,
           count(*) FILTER (WHERE actions = 1) AS bounces
    FROM visits
    WHERE ref_type = 'search'
    GROUP BY 1, 2
    UNION ALL
    SELECT day, ref_name, visits, actions, bounces
    FROM agg_referrers
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND ref_type = 'search'
)
SELECT search_engine, sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM per_day
GROUP BY search_engine
ORDER BY visits DESC, search_engine COLLATE "C"
LIMIT $4;
