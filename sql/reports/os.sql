-- os: visits per os (as the visit's first hit reported it), most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- "(unknown)": not recognised. Actions and bounce over the visit's first day.
SELECT coalesce(nullif(value, ''), '(unknown)') AS os, sum(visits)::bigint AS visits,
       sum(actions)::bigint AS actions, round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM agg_platforms
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND attribute = 'os'
GROUP BY value
HAVING sum(visits) > 0
ORDER BY visits DESC, coalesce(nullif(value, ''), '(unknown)') COLLATE "C"
LIMIT $4;
