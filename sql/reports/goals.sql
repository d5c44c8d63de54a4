-- goals: conversions, conversion rate and revenue of each goal over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit, $5 one goal id
-- (NULL: every goal).
--
-- As Matomo: a goal converts at most once per visit unless it allows more; conversions count
-- on their hit's day; visits_converted: per day, the visits that converted it, summed over days;
-- conversion rate = visits_converted / visits. Revenue: the goal's own, or the `revenue` sent.
-- Every goal of the site is listed, also one without conversions; a deleted goal only while
-- its conversions are in the period. Goals are matched on ingest: a goal added later counts
-- from then on.
WITH visits AS (
    SELECT coalesce(sum(visits), 0) AS visits
    FROM agg_site_hours
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
), converted AS (
    SELECT goal_id, sum(conversions) AS conversions, sum(visits) AS visits,
           sum(revenue) AS revenue
    FROM agg_goals
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND attribute = 'total'
    GROUP BY goal_id
)
SELECT g.goal_id, g.name AS goal, coalesce(c.conversions, 0)::bigint AS conversions,
       coalesce(c.visits, 0)::bigint AS visits_converted,
       round(100.0 * coalesce(c.visits, 0) / nullif(v.visits, 0), 1) AS conversion_rate,
       coalesce(c.revenue, 0) AS revenue
FROM goals g
CROSS JOIN visits v
LEFT JOIN converted c ON c.goal_id = g.goal_id
WHERE g.site_id = $1 AND (g.deleted_at IS NULL OR c.goal_id IS NOT NULL)
  AND ($5::integer IS NULL OR g.goal_id = $5::integer)
ORDER BY conversions DESC, g.goal_id
LIMIT $4;
