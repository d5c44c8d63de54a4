-- Reference: usage-summary from raw usage rows. $1 site, $2 first, $3 last day.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date)
SELECT count(*)::bigint AS requests, coalesce(sum(bytes), 0)::bigint AS bytes,
       count(*) FILTER (WHERE bot)::bigint AS bot_requests,
       round(100.0 * count(*) FILTER (WHERE bot) / nullif(count(*), 0), 1) AS bot_share,
       count(*) FILTER (WHERE status < 200)::bigint AS status_1xx,
       count(*) FILTER (WHERE status BETWEEN 200 AND 299)::bigint AS status_2xx,
       count(*) FILTER (WHERE status BETWEEN 300 AND 399)::bigint AS status_3xx,
       count(*) FILTER (WHERE status BETWEEN 400 AND 499)::bigint AS status_4xx,
       count(*) FILTER (WHERE status >= 500)::bigint AS status_5xx
FROM p;
