-- Reference: regions. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).country AS value1, (v.hit).region AS value2,
           ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), period AS (
    SELECT * FROM hits WHERE day BETWEEN $2::date AND $3::date
), visits AS (
    -- cut at local midnight: one row per visit and day, only the day it started
    SELECT day, min(value1) FILTER (WHERE visit_start) AS value1,
           min(value2) FILTER (WHERE visit_start) AS value2,
           count(*) FILTER (WHERE is_action(action)) AS actions
    FROM period
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
)
SELECT coalesce(value1, '') AS country, value2 AS region, count(*)::bigint AS visits,
       sum(actions)::bigint AS actions,
       round(100.0 * count(*) FILTER (WHERE actions <= 1) / count(*), 1) AS bounce_rate
FROM visits WHERE value2 IS NOT NULL GROUP BY 1, 2
ORDER BY visits DESC, coalesce(value1, '') COLLATE "C", value2 COLLATE "C" LIMIT $4;
