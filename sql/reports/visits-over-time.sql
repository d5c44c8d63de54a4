-- visits-over-time: visits, pageviews and actions per local day, every day of the period
-- (zero when nothing happened, so a chart has no gaps). No row limit.
-- $1 site id, $2 first day, $3 last day (inclusive; local days).
-- Counted as in `summary`. Days come from generate_series, so the period bounds the row
-- count (checked by the caller).
SELECT d.day::date AS day, coalesce(sum(a.visits), 0)::bigint AS visits,
       coalesce(sum(a.pageviews), 0)::bigint AS pageviews,
       coalesce(sum(a.actions), 0)::bigint AS actions
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d (day)
LEFT JOIN agg_site_hours a ON a.site_id = $1 AND a.day = d.day::date
GROUP BY d.day
ORDER BY d.day;
