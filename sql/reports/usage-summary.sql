-- usage-summary: the web server's own log over the period (Nutzungsdaten): requests, bytes
-- transferred, requests by bots and their share (%), requests per status class.
-- $1 site id, $2 first day, $3 last day (inclusive; local days).
-- From usage_agg_hours (never folded), so the totals are the same before and after expiry.
SELECT coalesce(sum(requests), 0)::bigint AS requests, coalesce(sum(bytes), 0)::bigint AS bytes,
       coalesce(sum(bot_requests), 0)::bigint AS bot_requests,
       round(100.0 * sum(bot_requests) / nullif(sum(requests), 0), 1) AS bot_share,
       coalesce(sum(status_1xx), 0)::bigint AS status_1xx,
       coalesce(sum(status_2xx), 0)::bigint AS status_2xx,
       coalesce(sum(status_3xx), 0)::bigint AS status_3xx,
       coalesce(sum(status_4xx), 0)::bigint AS status_4xx,
       coalesce(sum(status_5xx), 0)::bigint AS status_5xx
FROM usage_agg_hours
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date;
