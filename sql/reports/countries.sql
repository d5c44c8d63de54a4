-- countries: visits per country (ISO 3166-1 alpha-2), most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- Looked up from the truncated address of the hit that started the visit, in the operator's
-- COLLECTOR_GEOIP_DB; "(unknown)": no database, or no entry for the prefix. Regions are summed.
SELECT coalesce(nullif(country, ''), '(unknown)') AS country, sum(visits)::bigint AS visits,
       sum(actions)::bigint AS actions, round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM agg_countries
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY country
HAVING sum(visits) > 0
ORDER BY visits DESC, coalesce(nullif(country, ''), '(unknown)') COLLATE "C"
LIMIT $4;
