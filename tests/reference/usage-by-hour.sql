-- Reference: usage-by-hour from raw usage rows, in the site's current zone.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date), zone AS (
    SELECT timezone FROM site_zones WHERE site_id = $1 AND until = 'infinity'
)
SELECT local_iso(h.hour, z.timezone) AS hour, count(p.day)::bigint AS requests,
       coalesce(sum(p.bytes), 0)::bigint AS bytes,
       count(*) FILTER (WHERE p.bot)::bigint AS bot_requests,
       count(*) FILTER (WHERE p.status BETWEEN 400 AND 499)::bigint AS client_errors,
       count(*) FILTER (WHERE p.status >= 500)::bigint AS server_errors
FROM zone z
CROSS JOIN generate_series($2::date::timestamp AT TIME ZONE z.timezone,
                           ($3::date + 1)::timestamp AT TIME ZONE z.timezone - interval '1 hour',
                           interval '1 hour') AS h (hour)
LEFT JOIN p ON p.hour = h.hour
GROUP BY h.hour, z.timezone
ORDER BY h.hour;
