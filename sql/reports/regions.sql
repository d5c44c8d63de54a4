-- regions: visits per region of a country (ISO 3166-2 where the database has it: "DE-BY"),
-- most first. $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- Only where the database's network held the whole truncated prefix (tracking/geo.py), so
-- mostly at COLLECTOR_IP_MASK_LEVEL 1; visits without a region are not listed.
SELECT country, region, sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM agg_countries
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND region <> ''
GROUP BY country, region
HAVING sum(visits) > 0
ORDER BY visits DESC, country COLLATE "C", region COLLATE "C"
LIMIT $4;
