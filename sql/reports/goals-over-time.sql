-- goals-over-time: conversions, revenue and conversion rate of each goal per local day, every
-- day of the period (zero when nothing converted). For a chart, narrow it to one goal.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit, $5 one goal id
-- (NULL: every goal, as `goals` lists them).
WITH days AS (
    SELECT d::date AS day
    FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d
), conversions AS (
    SELECT day, goal_id, sum(conversions) AS conversions, sum(visits) AS visits,
           sum(revenue) AS revenue
    FROM agg_goals
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date AND attribute = 'total'
    GROUP BY day, goal_id
), chosen AS (
    SELECT g.goal_id, g.name
    FROM goals g
    WHERE g.site_id = $1 AND ($5::integer IS NULL OR g.goal_id = $5::integer)
      AND (g.deleted_at IS NULL OR g.goal_id IN (SELECT goal_id FROM conversions))
), site_days AS (
    SELECT day, sum(visits) AS visits
    FROM agg_site_hours
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
    GROUP BY day
)
SELECT d.day, g.goal_id, g.name AS goal, coalesce(c.conversions, 0)::bigint AS conversions,
       round(100.0 * coalesce(c.visits, 0) / nullif(s.visits, 0), 1) AS conversion_rate,
       coalesce(c.revenue, 0) AS revenue
FROM days d
CROSS JOIN chosen g
LEFT JOIN conversions c ON c.day = d.day AND c.goal_id = g.goal_id
LEFT JOIN site_days s ON s.day = d.day
ORDER BY d.day, g.goal_id
LIMIT $4;
