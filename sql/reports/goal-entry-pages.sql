-- goal-entry-pages: conversions of each goal by the page the converting visit began on (NULL:
-- it viewed no page), most first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit, $5 one goal id.
-- conversion_rate: the visits entering on the page that converted.
SELECT a.goal_id, min(g.name) AS goal, nullif(a.label, '') AS page,
       sum(a.conversions)::bigint AS conversions, sum(a.visits)::bigint AS visits_converted,
       round(100.0 * sum(a.visits) / nullif((
           SELECT sum(p.entries) FROM agg_pages p
           WHERE p.site_id = $1 AND p.day BETWEEN $2::date AND $3::date
             AND p.page = a.label), 0), 1) AS conversion_rate,
       sum(a.revenue) AS revenue
FROM agg_goals a
LEFT JOIN goals g ON g.goal_id = a.goal_id
WHERE a.site_id = $1 AND a.day BETWEEN $2::date AND $3::date AND a.attribute = 'entry_page'
  AND ($5::integer IS NULL OR a.goal_id = $5::integer)
GROUP BY a.goal_id, a.label
HAVING sum(a.conversions) > 0
ORDER BY conversions DESC, a.goal_id, a.label COLLATE "C"
LIMIT $4;
