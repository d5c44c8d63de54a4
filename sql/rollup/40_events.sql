-- Events by category, action and name. $1 day, $2 threshold: a rare combination is folded
-- whole into ('(others)', '(others)', NULL) (the name is free text).
-- Every event has a category and an action (the endpoint rejects one without).
WITH counted AS (
    SELECT site_id, event_category AS category, event_action AS action, event_name AS name,
           count(*) AS events, count(DISTINCT (session_id, visit_no)) AS visits,
           coalesce(sum(event_value), 0) AS value_sum, count(event_value) AS value_count
    FROM rollup_hits WHERE action = 'event' AND event_category IS NOT NULL
                           AND event_action IS NOT NULL
    GROUP BY site_id, event_category, event_action, event_name
)
INSERT INTO agg_events AS a
    (site_id, day, category, action, name, events, visits, value_sum, value_count)
SELECT site_id, $1::date,
       CASE WHEN fold THEN '(others)' ELSE category END AS f_category,
       CASE WHEN fold THEN '(others)' ELSE action END AS f_action,
       CASE WHEN fold THEN NULL ELSE name END AS f_name,
       sum(events), sum(visits), sum(value_sum), sum(value_count)
FROM (SELECT counted.*, counted.visits < $2 AS fold FROM counted) c
GROUP BY site_id, f_category, f_action, f_name
ON CONFLICT (site_id, day, category, action, name) DO UPDATE SET
    events = a.events + excluded.events, visits = a.visits + excluded.visits,
    value_sum = a.value_sum + excluded.value_sum,
    value_count = a.value_count + excluded.value_count;
