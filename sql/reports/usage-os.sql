-- usage-os: requests by people (not bots) per operating system family, most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
SELECT coalesce(nullif(value, ''), '(unknown)') AS os, sum(requests)::bigint AS requests
FROM usage_agg_agents
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND attribute = 'os'
GROUP BY value
HAVING sum(requests) > 0
ORDER BY requests DESC, coalesce(nullif(value, ''), '(unknown)') COLLATE "C"
LIMIT $4;
