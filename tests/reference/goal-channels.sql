-- Reference: goal-channels. $1 site, $2 first, $3 last day, $4 limit, $5 goal.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.tie, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).goals, url_path((v.hit).url) AS page,
           coalesce((v.hit).ref_type, 'direct') AS ref_type, coalesce((v.hit).ref_name, '') AS ref_name,
           (v.hit).campaign_name, ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), starts AS (
    SELECT session_id, visit_no, day AS start_day, ref_type, ref_name, campaign_name
    FROM hits WHERE visit_start
), visits AS (
    SELECT s.*, coalesce((SELECT h.page FROM hits h
                          WHERE h.session_id = s.session_id AND h.visit_no = s.visit_no
                            AND h.day = s.start_day AND h.action = 'pageview'
                          ORDER BY h.ts, h.page LIMIT 1), '') AS entry_page
    FROM starts s
), conversions AS (
    SELECT h.*, (e ->> 0)::integer AS goal_id, (e ->> 1)::numeric AS revenue,
           (e ->> 2)::boolean AS once,
           row_number() OVER (PARTITION BY h.session_id, h.visit_no, (e ->> 0)::integer
                              ORDER BY h.ts, h.tie) AS nth
    FROM hits h CROSS JOIN LATERAL jsonb_array_elements(h.goals) e
    WHERE h.goals IS NOT NULL
), counted AS (
    SELECT c.session_id, c.visit_no, c.day, c.goal_id, c.revenue, v.ref_type, v.ref_name,
           v.campaign_name, v.entry_page
    FROM conversions c JOIN visits v USING (session_id, visit_no)
    WHERE (NOT c.once OR c.nth = 1) AND c.day BETWEEN $2::date AND $3::date
), per_day AS (
    SELECT goal_id, day, ref_type, ref_name, count(*) AS conversions,
           count(DISTINCT (session_id, visit_no)) AS visits, coalesce(sum(revenue), 0) AS revenue
    FROM counted GROUP BY goal_id, day, ref_type, ref_name
), channel_visits AS (
    SELECT ref_type, ref_name, count(*) AS visits FROM visits
    WHERE start_day BETWEEN $2::date AND $3::date GROUP BY ref_type, ref_name
)
SELECT p.goal_id, min(g.name) AS goal, p.ref_type AS channel, nullif(p.ref_name, '') AS source,
       sum(p.conversions)::bigint AS conversions, sum(p.visits)::bigint AS visits_converted,
       round(100.0 * sum(p.visits) / nullif(min(c.visits), 0), 1) AS conversion_rate,
       sum(p.revenue) AS revenue
FROM per_day p
LEFT JOIN goals g ON g.goal_id = p.goal_id
LEFT JOIN channel_visits c ON c.ref_type = p.ref_type AND c.ref_name = p.ref_name
WHERE $5::integer IS NULL OR p.goal_id = $5::integer
GROUP BY p.goal_id, p.ref_type, p.ref_name
ORDER BY conversions DESC, p.goal_id, p.ref_type COLLATE "C", p.ref_name COLLATE "C"
LIMIT $4;
