-- usage-content-bytes: as usage-content, by bytes transferred (the largest downloads first).
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
SELECT path, sum(bytes)::bigint AS bytes, sum(requests)::bigint AS requests
FROM usage_agg_content
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY path
HAVING sum(requests) > 0
ORDER BY bytes DESC, path COLLATE "C"
LIMIT $4;
