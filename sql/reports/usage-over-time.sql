-- usage-over-time: requests, bytes, bot requests, client errors (4xx) and server errors (5xx)
-- per local day, every day of the period (zero when nothing happened). No row limit.
-- $1 site id, $2 first day, $3 last day (inclusive; local days).
SELECT d.day::date AS day, coalesce(sum(a.requests), 0)::bigint AS requests,
       coalesce(sum(a.bytes), 0)::bigint AS bytes,
       coalesce(sum(a.bot_requests), 0)::bigint AS bot_requests,
       coalesce(sum(a.status_4xx), 0)::bigint AS client_errors,
       coalesce(sum(a.status_5xx), 0)::bigint AS server_errors
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d (day)
LEFT JOIN usage_agg_hours a ON a.site_id = $1 AND a.day = d.day::date
GROUP BY d.day
ORDER BY d.day;
