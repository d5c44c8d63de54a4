-- Reference: events. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, ((v.hit).ts AT TIME ZONE v.tz)::date AS day,
           (v.hit).event_category, (v.hit).event_action, (v.hit).event_name, (v.hit).event_value
    FROM pg_temp.visit_hits($1) v
    WHERE (v.hit).action = 'event'
), per_day AS (
    SELECT day, event_category AS category, event_action AS action, event_name AS name,
           count(*) AS events, count(DISTINCT (session_id, visit_no)) AS visits,
           coalesce(sum(event_value::numeric), 0) AS value_sum, count(event_value) AS value_count
    FROM hits WHERE day BETWEEN $2::date AND $3::date
    GROUP BY 1, 2, 3, 4
)
SELECT category, action, name, sum(events)::bigint AS events, sum(visits)::bigint AS visits,
       CASE WHEN sum(value_count) > 0 THEN sum(value_sum) END AS value
FROM per_day GROUP BY category, action, name
ORDER BY events DESC, category COLLATE "C", action COLLATE "C", name COLLATE "C" NULLS FIRST
LIMIT $4;
