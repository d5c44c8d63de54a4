-- Reference: usage-referrers from raw usage rows: referrers on other hosts than the site's.
WITH r AS (
    SELECT u.*, (u.ts AT TIME ZONE z.timezone)::date AS day,
           date_trunc('hour', u.ts, z.timezone) AS hour
    FROM usage_requests u
    JOIN site_zones z ON z.site_id = u.site_id AND u.ts >= z.since AND u.ts < z.until
    WHERE u.site_id = $1
), p AS (SELECT * FROM r WHERE day BETWEEN $2::date AND $3::date), own AS (
    SELECT regexp_replace(d, '^www\.', '') AS domain
    FROM sites s, unnest(s.domains) AS d WHERE s.site_id = $1
), counted AS (
    SELECT referrer, count(*)::bigint AS requests,
           regexp_replace(lower(substring(referrer from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#:]*)')),
                          '^www\.', '') AS host
    FROM p WHERE referrer IS NOT NULL AND referrer <> ''
    GROUP BY referrer
)
SELECT referrer, requests FROM counted c
WHERE NOT EXISTS (SELECT FROM own o WHERE c.host = o.domain OR c.host LIKE '%.' || o.domain)
ORDER BY requests DESC, referrer COLLATE "C"
LIMIT $4;
