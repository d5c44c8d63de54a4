-- usage-not-found: paths answered 404 ("Inhalt nicht gefunden"), the most requested first,
-- each with the pages that linked to it (referrer NULL: none), most first: broken links
-- and where they are. path_requests: the path's 404s in all.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit (rows, not
-- paths).
WITH pairs AS (
    SELECT path, referrer, sum(requests)::bigint AS requests
    FROM usage_agg_not_found
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
    GROUP BY path, referrer
    HAVING sum(requests) > 0
)
SELECT path, nullif(referrer, '') AS referrer, requests,
       sum(requests) OVER (PARTITION BY path)::bigint AS path_requests
FROM pairs
ORDER BY path_requests DESC, path COLLATE "C", requests DESC, referrer COLLATE "C"
LIMIT $4;
