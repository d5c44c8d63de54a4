-- search-engines: visits from each search engine, most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- The referrers of type 'search' (see referrers.sql).
SELECT ref_name AS search_engine, sum(visits)::bigint AS visits,
       sum(actions)::bigint AS actions, round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM agg_referrers
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND ref_type = 'search'
GROUP BY ref_name
HAVING sum(visits) > 0
ORDER BY visits DESC, ref_name COLLATE "C"
LIMIT $4;
