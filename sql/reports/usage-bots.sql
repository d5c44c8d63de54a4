-- usage-bots: requests by bots (crawlers, monitors, scripts; by user agent) per name, and
-- their share of all requests (%). $1 site id, $2 first day, $3 last day (inclusive; local
-- days), $4 row limit. "(unknown)": a bot ua-parser has no name for (or no user agent).
WITH total AS (
    SELECT sum(requests) AS requests FROM usage_agg_hours
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT coalesce(nullif(a.value, ''), '(unknown)') AS bot, sum(a.requests)::bigint AS requests,
       round(100.0 * sum(a.requests) / max(t.requests), 1) AS share
FROM usage_agg_agents a, total t
WHERE a.site_id = $1 AND a.day BETWEEN $2::date AND $3::date AND a.attribute = 'bot'
GROUP BY a.value
HAVING sum(a.requests) > 0
ORDER BY requests DESC, coalesce(nullif(a.value, ''), '(unknown)') COLLATE "C"
LIMIT $4;
