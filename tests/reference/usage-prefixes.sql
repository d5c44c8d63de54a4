-- Reference: usage-prefixes from raw usage rows. $4 row limit.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date)
SELECT host(ip_prefix) AS prefix, count(*)::bigint AS requests,
       count(*) FILTER (WHERE status BETWEEN 400 AND 499)::bigint AS client_errors,
       count(*) FILTER (WHERE status >= 500)::bigint AS server_errors
FROM p WHERE ip_prefix IS NOT NULL
GROUP BY ip_prefix
HAVING count(*) FILTER (WHERE status >= 400) > 0
ORDER BY count(*) FILTER (WHERE status >= 400) DESC, requests DESC, host(ip_prefix) COLLATE "C"
LIMIT $4;
