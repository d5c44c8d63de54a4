-- daily-totals: the site's anonymous totals per local day, every day of the period (zero when
-- nothing happened): what the dashboard's open-data export publishes. No row limit.
-- $1 site id, $2 first day, $3 last day (inclusive; local days).
-- Counted as in `summary`, but only sums, never rates or averages: whoever publishes or
-- reuses the file can add days into weeks, months or years and derive bounce rate
-- (bounces / visits) and average visit duration (visit_seconds / visits) for any of them.
SELECT d.day::date AS day, coalesce(sum(a.visits), 0)::bigint AS visits,
       coalesce(sum(a.pageviews), 0)::bigint AS pageviews,
       coalesce(sum(a.actions), 0)::bigint AS actions,
       coalesce(sum(a.bounces), 0)::bigint AS bounces,
       coalesce(sum(a.visit_seconds), 0)::bigint AS visit_seconds
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d (day)
LEFT JOIN agg_site_hours a ON a.site_id = $1 AND a.day = d.day::date
GROUP BY d.day
ORDER BY d.day;
