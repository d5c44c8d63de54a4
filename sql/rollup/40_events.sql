-- Events by category and action; names are not kept. $1 day, $2 threshold.
WITH counted AS (
    SELECT site_id, event_category AS category, event_action AS action, count(*) AS events,
           count(DISTINCT (session_id, visit_no)) AS visits,
           coalesce(sum(event_value), 0) AS value_sum, count(event_value) AS value_count
    FROM rollup_hits WHERE action = 'event' AND event_category IS NOT NULL
                           AND event_action IS NOT NULL
    GROUP BY site_id, event_category, event_action
)
INSERT INTO agg_events AS a
    (site_id, day, category, action, events, visits, value_sum, value_count)
SELECT site_id, $1::date,
       CASE WHEN visits < $2 THEN '(others)' ELSE category END AS f_category,
       CASE WHEN visits < $2 THEN '(others)' ELSE action END AS f_action,
       sum(events), sum(visits), sum(value_sum), sum(value_count)
FROM counted
GROUP BY site_id, f_category, f_action
ON CONFLICT (site_id, day, category, action) DO UPDATE SET
    events = a.events + excluded.events, visits = a.visits + excluded.visits,
    value_sum = a.value_sum + excluded.value_sum,
    value_count = a.value_count + excluded.value_count;
