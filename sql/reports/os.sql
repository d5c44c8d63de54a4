-- os: visits per operating system family, most visits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Families as ua-parser names them, "(unknown)" when none matched (or folded into
-- "(others)" at roll-up).
--
-- A visit counts on the day it starts and is attributed by the hit that started it
-- (visit_hits marks it). Visits are cut at midnight UTC, as the daily aggregates keep them:
-- actions and bounce are over the visit's hits of its first day. Actions exclude heartbeat
-- pings; a bounce is a visit with one action.
-- Shape: `per_day` holds additive columns only, one row per UTC day and OS: raw hits
-- for the days still kept, agg_platforms for the days rolled up (a day's roll-up and the
-- drop of its partition are one transaction, so each day is in exactly one of the two;
-- docs/aggregates.md). The final SELECT sums them and computes the rate; LIMIT comes last.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).action, (v.hit).os,
           ((v.hit).ts AT TIME ZONE 'UTC')::date AS day
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT day, min(os) FILTER (WHERE visit_start) AS os,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT day, coalesce(os, '(unknown)') AS os,
           count(*) AS visits, sum(actions) AS actions,
           count(*) FILTER (WHERE actions = 1) AS bounces
    FROM visits
    GROUP BY 1, 2
    UNION ALL
    SELECT day, coalesce(value, '(unknown)'), visits, actions, bounces
    FROM agg_platforms
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND attribute = 'os'
)
SELECT os, sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM per_day
GROUP BY os
ORDER BY visits DESC, os COLLATE "C"
LIMIT $4;
