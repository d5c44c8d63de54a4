-- Events by category, action and name ('' without e_n): events, visits with the event that
-- day, the sum of e_v and how many events carried one. Every event has a category and an
-- action (the endpoint refuses one without).
MERGE INTO agg_events a
USING (
    SELECT site_id, day, category, action, name, sum(events) AS events, sum(visits) AS visits,
           sum(value_sum) AS value_sum, sum(value_count) AS value_count
    FROM (
        SELECT site_id, day, event_category AS category, event_action AS action,
               event_name AS name, sign * count(*) AS events, sign AS visits,
               sign * coalesce(sum(event_value::numeric), 0) AS value_sum,
               sign * count(event_value) AS value_count
        FROM r_vhits
        WHERE action = 'event' AND event_category IS NOT NULL AND event_action IS NOT NULL
        GROUP BY sign, site_id, session_id, segment, day, event_category, event_action, event_name
    ) c
    GROUP BY site_id, day, category, action, name
    HAVING sum(events) <> 0 OR sum(visits) <> 0 OR sum(value_count) <> 0 OR sum(value_sum) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.category = d.category AND a.action = d.action
   AND a.name = d.name
WHEN MATCHED AND a.events + d.events = 0 AND a.visits + d.visits = 0
             AND a.value_count + d.value_count = 0 AND a.value_sum + d.value_sum = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    events = a.events + d.events, visits = a.visits + d.visits,
    value_sum = a.value_sum + d.value_sum, value_count = a.value_count + d.value_count
WHEN NOT MATCHED THEN INSERT (site_id, day, category, action, name, events, visits, value_sum,
                              value_count)
    VALUES (d.site_id, d.day, d.category, d.action, d.name, d.events, d.visits, d.value_sum,
            d.value_count);
