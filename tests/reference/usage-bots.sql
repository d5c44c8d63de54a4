-- Reference: usage-bots from raw usage rows. $4 row limit.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date)
SELECT coalesce(nullif(browser, ''), '(unknown)') AS bot, count(*)::bigint AS requests,
       round(100.0 * count(*) / (SELECT count(*) FROM p), 1) AS share
FROM p WHERE bot
GROUP BY 1
ORDER BY requests DESC, coalesce(nullif(browser, ''), '(unknown)') COLLATE "C"
LIMIT $4;
