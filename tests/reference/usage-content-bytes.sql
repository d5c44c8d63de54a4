-- Reference: usage-content-bytes from raw usage rows (status below 400). $4 row limit.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date)
SELECT path, sum(bytes)::bigint AS bytes, count(*)::bigint AS requests
FROM p WHERE status < 400
GROUP BY path
ORDER BY bytes DESC, path COLLATE "C"
LIMIT $4;
