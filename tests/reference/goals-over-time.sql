-- Reference: goals-over-time. $1 site, $2 first, $3 last day, $4 limit, $5 goal.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.tie, v.visit_start, (v.hit).ts, (v.hit).goals,
           ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), conversions AS (
    SELECT h.*, (e ->> 0)::integer AS goal_id, (e ->> 1)::numeric AS revenue,
           (e ->> 2)::boolean AS once,
           row_number() OVER (PARTITION BY h.session_id, h.visit_no, (e ->> 0)::integer
                              ORDER BY h.ts, h.tie) AS nth
    FROM hits h CROSS JOIN LATERAL jsonb_array_elements(h.goals) e
    WHERE h.goals IS NOT NULL
), per_day AS (
    SELECT goal_id, day, count(*) AS conversions,
           count(DISTINCT (session_id, visit_no)) AS visits,
           coalesce(sum(revenue), 0) AS revenue
    FROM conversions
    WHERE (NOT once OR nth = 1) AND day BETWEEN $2::date AND $3::date
    GROUP BY goal_id, day
), site_days AS (
    SELECT day, count(*) AS visits FROM hits WHERE visit_start GROUP BY day
), chosen AS (
    SELECT g.goal_id, g.name FROM goals g
    WHERE g.site_id = $1 AND ($5::integer IS NULL OR g.goal_id = $5::integer)
      AND (g.deleted_at IS NULL OR g.goal_id IN (SELECT goal_id FROM per_day))
)
SELECT d::date AS day, g.goal_id, g.name AS goal, coalesce(c.conversions, 0)::bigint AS conversions,
       round(100.0 * coalesce(c.visits, 0) / nullif(s.visits, 0), 1) AS conversion_rate,
       coalesce(c.revenue, 0) AS revenue
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d
CROSS JOIN chosen g
LEFT JOIN per_day c ON c.day = d::date AND c.goal_id = g.goal_id
LEFT JOIN site_days s ON s.day = d::date
ORDER BY d, g.goal_id
LIMIT $4;
