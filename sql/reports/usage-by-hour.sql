-- usage-by-hour: as usage-over-time, per local hour of the site's current zone, every hour
-- of the period (the label carries the UTC offset; a day has 23 or 25 hours when clocks
-- change). No row limit. $1 site id, $2 first day, $3 last day (inclusive; local days).
WITH zone AS (
    SELECT timezone FROM site_zones WHERE site_id = $1 AND until = 'infinity'
), hours AS (
    SELECT h.hour, z.timezone
    FROM zone z,
         generate_series($2::date::timestamp AT TIME ZONE z.timezone,
                         ($3::date + 1)::timestamp AT TIME ZONE z.timezone - interval '1 hour',
                         interval '1 hour') AS h (hour)
)
SELECT local_iso(h.hour, h.timezone) AS hour, coalesce(sum(a.requests), 0)::bigint AS requests,
       coalesce(sum(a.bytes), 0)::bigint AS bytes,
       coalesce(sum(a.bot_requests), 0)::bigint AS bot_requests,
       coalesce(sum(a.status_4xx), 0)::bigint AS client_errors,
       coalesce(sum(a.status_5xx), 0)::bigint AS server_errors
FROM hours h
LEFT JOIN usage_agg_hours a ON a.site_id = $1 AND a.hour = h.hour
                           AND a.day BETWEEN $2::date AND $3::date
GROUP BY h.hour, h.timezone
ORDER BY h.hour;
