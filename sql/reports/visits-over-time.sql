-- visits-over-time: visits, pageviews and actions per UTC day, every day of the period
-- (zero when nothing happened, so a chart has no gaps). No row limit.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days).
--
-- Counted as in `summary`: a visit on the day it starts; pings are not actions.
-- Shape: additive `per_day`: raw hits for days still kept, agg_site_days for days rolled up
-- (each day is in exactly one of the two); days come from generate_series, so the period
-- bounds the row count (checked by the caller).
WITH hits AS (
    SELECT v.visit_start, (v.hit).ts, (v.hit).action
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), per_day AS (
    SELECT (ts AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE visit_start) AS visits,
           count(*) FILTER (WHERE action = 'pageview') AS pageviews,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY 1
    UNION ALL
    SELECT day, visits, pageviews, actions
    FROM agg_site_days
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT d.day::date AS day, coalesce(sum(p.visits), 0)::bigint AS visits,
       coalesce(sum(p.pageviews), 0)::bigint AS pageviews,
       coalesce(sum(p.actions), 0)::bigint AS actions
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d (day)
LEFT JOIN per_day p ON p.day = d.day::date
GROUP BY d.day
ORDER BY d.day;
