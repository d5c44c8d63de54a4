-- os: visits per operating system family, most visits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Families as ua-parser names them, "(unknown)" when none matched.
--
-- A visit is attributed by its first hit (visit_hits marks it); only visits that start in
-- the period count. Actions exclude heartbeat pings; a bounce is a visit with one action.
-- Shape: `per_day` has additive columns only (visits, actions, bounces per UTC day), so
-- daily aggregates of rolled-up days can be added to it with UNION ALL; the final SELECT
-- sums them and computes the rate. The LIMIT applies after grouping.
WITH hits AS (
    SELECT (v.hit).*, v.visit_no, v.visit_start
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT min(ts) AS started,
           min(os) FILTER (WHERE visit_start) AS os,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY session_id, visit_no
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT (started AT TIME ZONE 'UTC')::date AS day,
           coalesce(os, '(unknown)') AS os,
           count(*) AS visits, sum(actions) AS actions,
           count(*) FILTER (WHERE actions = 1) AS bounces
    FROM visits
    GROUP BY day, os
)
SELECT os, sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM per_day
GROUP BY os
ORDER BY visits DESC, os COLLATE "C"
LIMIT $4;
