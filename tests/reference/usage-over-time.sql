-- Reference: usage-over-time from raw usage rows. $1 site, $2 first, $3 last day.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date)
SELECT d.day::date AS day, count(p.day)::bigint AS requests,
       coalesce(sum(p.bytes), 0)::bigint AS bytes,
       count(*) FILTER (WHERE p.bot)::bigint AS bot_requests,
       count(*) FILTER (WHERE p.status BETWEEN 400 AND 499)::bigint AS client_errors,
       count(*) FILTER (WHERE p.status >= 500)::bigint AS server_errors
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d (day)
LEFT JOIN p ON p.day = d.day::date
GROUP BY d.day
ORDER BY d.day;
