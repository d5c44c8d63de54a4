-- goal-channels: conversions of each goal by the channel and source of the converting visit
-- (as `referrers` attributes visits: from the hit that started it), most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit, $5 one goal id.
-- conversion_rate: the channel source's visits that converted. "(others)": sources seen in
-- too few converting visits of a day whose raw data is gone.
SELECT a.goal_id, min(g.name) AS goal, a.label AS channel, nullif(a.detail, '') AS source,
       sum(a.conversions)::bigint AS conversions, sum(a.visits)::bigint AS visits_converted,
       round(100.0 * sum(a.visits) / nullif((
           SELECT sum(r.visits) FROM agg_referrers r
           WHERE r.site_id = $1 AND r.day BETWEEN $2::date AND $3::date
             AND r.ref_type = a.label AND r.ref_name = a.detail), 0), 1) AS conversion_rate,
       sum(a.revenue) AS revenue
FROM agg_goals a
LEFT JOIN goals g ON g.goal_id = a.goal_id
WHERE a.site_id = $1 AND a.day BETWEEN $2::date AND $3::date AND a.attribute = 'channel'
  AND ($5::integer IS NULL OR a.goal_id = $5::integer)
GROUP BY a.goal_id, a.label, a.detail
HAVING sum(a.conversions) > 0
ORDER BY conversions DESC, a.goal_id, a.label COLLATE "C", a.detail COLLATE "C"
LIMIT $4;
