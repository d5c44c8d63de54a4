-- Reference: usage-status from raw usage rows. $4 row limit.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date)
SELECT (status / 100)::text || 'xx' AS class, status, count(*)::bigint AS requests,
       sum(bytes)::bigint AS bytes,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS share
FROM p
GROUP BY status
ORDER BY status
LIMIT $4;
