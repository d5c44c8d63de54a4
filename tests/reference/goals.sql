-- Reference: goals. $1 site, $2 first, $3 last day, $4 limit, $5 goal (NULL: all).
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.tie, (v.hit).ts, (v.hit).goals,
           ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), conversions AS (
    SELECT h.*, (e ->> 0)::integer AS goal_id, (e ->> 1)::numeric AS revenue,
           (e ->> 2)::boolean AS once,
           row_number() OVER (PARTITION BY h.session_id, h.visit_no, (e ->> 0)::integer
                              ORDER BY h.ts, h.tie) AS nth
    FROM hits h CROSS JOIN LATERAL jsonb_array_elements(h.goals) e
    WHERE h.goals IS NOT NULL
), counted AS (
    SELECT * FROM conversions WHERE (NOT once OR nth = 1) AND day BETWEEN $2::date AND $3::date
), per_day AS (
    SELECT goal_id, day, count(*) AS conversions,
           count(DISTINCT (session_id, visit_no)) AS visits,
           coalesce(sum(revenue), 0) AS revenue
    FROM counted GROUP BY goal_id, day
), converted AS (
    SELECT goal_id, sum(conversions) AS conversions, sum(visits) AS visits,
           sum(revenue) AS revenue
    FROM per_day GROUP BY goal_id
), visits AS (
    SELECT count(*) AS visits FROM (
        SELECT 1 FROM pg_temp.visit_hits($1) v
        WHERE v.visit_start AND ((v.hit).ts AT TIME ZONE v.tz)::date BETWEEN $2::date AND $3::date
    ) s
)
SELECT g.goal_id, g.name AS goal, coalesce(c.conversions, 0)::bigint AS conversions,
       coalesce(c.visits, 0)::bigint AS visits_converted,
       round(100.0 * coalesce(c.visits, 0) / nullif(v.visits, 0), 1) AS conversion_rate,
       coalesce(c.revenue, 0) AS revenue
FROM goals g CROSS JOIN visits v LEFT JOIN converted c ON c.goal_id = g.goal_id
WHERE g.site_id = $1 AND (g.deleted_at IS NULL OR c.goal_id IS NOT NULL)
  AND ($5::integer IS NULL OR g.goal_id = $5::integer)
ORDER BY conversions DESC, g.goal_id
LIMIT $4;
