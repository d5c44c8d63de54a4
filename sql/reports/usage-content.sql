-- usage-content: the content delivered (status below 400) most often, by path: requests,
-- bytes. $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- Paths without query string (unless COLLECTOR_USAGE_QUERY_STRINGS); '(others)': paths
-- requested fewer than COLLECTOR_ROLLUP_MIN_COUNT times on a day past raw retention.
SELECT path, sum(requests)::bigint AS requests, sum(bytes)::bigint AS bytes
FROM usage_agg_content
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY path
HAVING sum(requests) > 0
ORDER BY requests DESC, path COLLATE "C"
LIMIT $4;
