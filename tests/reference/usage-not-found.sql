-- Reference: usage-not-found from raw usage rows (status 404). $4 row limit.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date), pairs AS (
    SELECT path, referrer, count(*)::bigint AS requests FROM p WHERE status = 404
    GROUP BY path, referrer
)
SELECT path, referrer, requests,
       sum(requests) OVER (PARTITION BY path)::bigint AS path_requests
FROM pairs
ORDER BY path_requests DESC, path COLLATE "C", requests DESC, coalesce(referrer, '') COLLATE "C"
LIMIT $4;
