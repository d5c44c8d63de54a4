-- campaigns: visits per campaign (name, source, medium), most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
--
-- From the mtm_/pk_/utm_ parameters of the page a visit started on (the name lowercased).
-- The aggregates also keep keyword and content; a rare combination of all five is folded
-- whole into '(others)' once its day's raw data is gone.
SELECT name AS campaign, nullif(source, '') AS source, nullif(medium, '') AS medium,
       sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * sum(bounces) / sum(visits), 1) AS bounce_rate
FROM agg_campaigns
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY name, source, medium
HAVING sum(visits) > 0
ORDER BY visits DESC, name COLLATE "C", nullif(source, '') COLLATE "C",
         nullif(medium, '') COLLATE "C"
LIMIT $4;
