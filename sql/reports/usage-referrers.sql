-- usage-referrers: pages on other sites that requests came from (the site's own domains and
-- their subdomains left out: that is navigation, not where visitors came from), most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- Without query string unless COLLECTOR_USAGE_QUERY_STRINGS; '(others)': folded.
WITH own AS (
    SELECT regexp_replace(d, '^www\.', '') AS domain
    FROM sites s, unnest(s.domains) AS d
    WHERE s.site_id = $1
), counted AS (
    SELECT referrer, sum(requests)::bigint AS requests,
           regexp_replace(lower(substring(referrer from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#:]*)')),
                          '^www\.', '') AS host
    FROM usage_agg_referrers
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
    GROUP BY referrer
    HAVING sum(requests) > 0
)
SELECT referrer, requests
FROM counted c
WHERE NOT EXISTS (SELECT FROM own o WHERE c.host = o.domain OR c.host LIKE '%.' || o.domain)
ORDER BY requests DESC, referrer COLLATE "C"
LIMIT $4;
