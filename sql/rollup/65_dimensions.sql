-- Custom dimensions (hits.dimensions, declared ones only: {"v<id>": …} visit scope, {"a<id>":
-- …} action scope). A visit-scoped value is the visit's: the last one it sent on its first day
-- (Matomo keeps the latest a visit sends); it counts the visit and its actions that day. An
-- action-scoped value counts the actions that carried it and the visits with one that day.
WITH visit_values AS (
    SELECT sign, site_id, session_id, segment, start_day AS day,
           substr(d.key, 2)::integer AS dimension_id,
           (array_agg(d.value ORDER BY ts DESC, tie DESC))[1] AS value
    FROM r_vhits
    CROSS JOIN LATERAL jsonb_each_text(dimensions) d
    WHERE dimensions IS NOT NULL AND counted AND day = start_day AND d.key LIKE 'v%'
    GROUP BY sign, site_id, session_id, segment, start_day, d.key
), visit_actions AS (
    SELECT sign, site_id, session_id, segment,
           count(*) FILTER (WHERE day = start_day AND is_action(action)) AS actions
    FROM r_vhits
    WHERE (sign, site_id, session_id, segment) IN
          (SELECT sign, site_id, session_id, segment FROM visit_values)
    GROUP BY sign, site_id, session_id, segment
), per_visit AS (
    SELECT v.sign, v.site_id, v.day, v.dimension_id, v.value, 1 AS visits, a.actions
    FROM visit_values v JOIN visit_actions a USING (sign, site_id, session_id, segment)
    UNION ALL
    SELECT sign, site_id, day, substr(d.key, 2)::integer, d.value, 1, count(*)
    FROM r_vhits
    CROSS JOIN LATERAL jsonb_each_text(dimensions) d
    WHERE dimensions IS NOT NULL AND is_action(action) AND d.key LIKE 'a%'
    GROUP BY sign, site_id, session_id, segment, day, d.key, d.value
)
MERGE INTO agg_dimensions a
USING (
    SELECT site_id, day, dimension_id, value, sum(sign * visits) AS visits,
           sum(sign * actions) AS actions
    FROM per_visit
    GROUP BY site_id, day, dimension_id, value
    HAVING sum(sign * visits) <> 0 OR sum(sign * actions) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.dimension_id = d.dimension_id
   AND a.value = d.value
WHEN MATCHED AND a.visits + d.visits = 0 AND a.actions + d.actions = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET visits = a.visits + d.visits, actions = a.actions + d.actions
WHEN NOT MATCHED THEN INSERT (site_id, day, dimension_id, value, visits, actions)
    VALUES (d.site_id, d.day, d.dimension_id, d.value, d.visits, d.actions);
