-- Reference: languages. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).lang AS value1, NULL::text AS value2,
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
SELECT coalesce(nullif(split_part(value1, '-', 1), ''), '(unknown)') AS language,
       count(*)::bigint AS visits,
       count(*) FILTER (WHERE value1 ~ '^[a-z]{2,8}(-[a-z]{4})?-([a-z]{2}|[0-9]{3})(-|$)')::bigint
           AS with_region,
       sum(actions)::bigint AS actions,
       round(100.0 * count(*) FILTER (WHERE actions <= 1) / count(*), 1) AS bounce_rate
FROM visits GROUP BY 1
ORDER BY visits DESC, coalesce(nullif(split_part(value1, '-', 1), ''), '(unknown)') COLLATE "C"
LIMIT $4;
