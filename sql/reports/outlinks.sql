-- outlinks: outlink targets by URL, most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- The URL without query string, fragment and user:password@: they can carry tokens or
-- personal data, and would split one target into many rows. visits: per day, the visits
-- with that target, summed over days.
SELECT target AS url, sum(hits)::bigint AS clicks, sum(visits)::bigint AS visits
FROM agg_targets
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND kind = 'outlink'
GROUP BY target
HAVING sum(hits) > 0
ORDER BY clicks DESC, target COLLATE "C"
LIMIT $4;
