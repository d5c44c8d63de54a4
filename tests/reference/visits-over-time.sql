-- Reference: visits-over-time. $1 site, $2 first, $3 last day.
WITH hits AS (
    SELECT v.visit_start, (v.hit).action, ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), per_day AS (
    SELECT day, count(*) FILTER (WHERE visit_start) AS visits,
           count(*) FILTER (WHERE action = 'pageview') AS pageviews,
           count(*) FILTER (WHERE is_action(action)) AS actions
    FROM hits GROUP BY 1
)
SELECT d.day::date AS day, coalesce(p.visits, 0)::bigint AS visits,
       coalesce(p.pageviews, 0)::bigint AS pageviews, coalesce(p.actions, 0)::bigint AS actions
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d (day)
LEFT JOIN per_day p ON p.day = d.day::date
ORDER BY d.day;
