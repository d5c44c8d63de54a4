-- contents: content tracking (Matomo's trackContentImpression / trackContentInteraction, c_n,
-- c_p, c_t, c_i) by name, piece and target, most impressions first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- interaction_rate: interactions per impression. The target without query string or fragment.
-- visits: per day, visits that saw or used it. "(others)": content in too few visits of a day
-- whose raw data is gone.
SELECT name, nullif(piece, '') AS piece, nullif(target, '') AS target,
       sum(impressions)::bigint AS impressions, sum(interactions)::bigint AS interactions,
       round(100.0 * sum(interactions) / nullif(sum(impressions), 0), 1) AS interaction_rate,
       sum(visits)::bigint AS visits
FROM agg_contents
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY name, piece, target
HAVING sum(impressions) > 0 OR sum(interactions) > 0
ORDER BY impressions DESC, interactions DESC, name COLLATE "C", piece COLLATE "C",
         target COLLATE "C"
LIMIT $4;
