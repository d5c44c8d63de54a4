-- What visits did (pages viewed, event categories, goals converted), each once per visit,
-- with the visit's values and measures (migration 013). Over the visit's hits of its first
-- day, as the visit's own measures are.
MERGE INTO agg_visit_actions a
USING (
    WITH did AS (
        SELECT DISTINCT h.sign, h.site_id, h.session_id, h.segment, x.kind, x.value
        FROM r_vhits h
        CROSS JOIN LATERAL (
            SELECT 'page', h.page WHERE h.action = 'pageview' AND h.page IS NOT NULL
            UNION ALL
            SELECT 'event', h.event_category
            WHERE h.action = 'event' AND h.event_category IS NOT NULL
            UNION ALL
            SELECT 'goal', g ->> 0 FROM jsonb_array_elements(coalesce(h.goals, '[]')) AS g
        ) AS x (kind, value)
        WHERE h.counted AND h.day = h.start_day
    )
    SELECT v.site_id, v.day, d.kind, d.value, v.hour, v.ref_type, v.ref_name,
           coalesce(v.campaign_name, '') AS campaign, v.browser, v.os, v.device, v.country,
           coalesce(v.entry_page, '') AS entry_page,
           sum(v.sign) AS visits, sum(v.sign * v.actions) AS actions,
           sum(v.sign * v.pageviews) AS pageviews,
           sum(v.sign * (v.actions <= 1)::int) AS bounces, sum(v.sign * v.seconds) AS seconds
    FROM did d
    JOIN r_visits v ON v.sign = d.sign AND v.site_id = d.site_id
                   AND v.session_id = d.session_id AND v.segment = d.segment
    GROUP BY v.site_id, v.day, d.kind, d.value, v.hour, v.ref_type, v.ref_name,
             coalesce(v.campaign_name, ''), v.browser, v.os, v.device, v.country,
             coalesce(v.entry_page, '')
    HAVING sum(v.sign) <> 0 OR sum(v.sign * v.actions) <> 0 OR sum(v.sign * v.pageviews) <> 0
        OR sum(v.sign * (v.actions <= 1)::int) <> 0 OR sum(v.sign * v.seconds) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.kind = d.kind AND a.value = d.value
   AND a.hour = d.hour AND a.ref_type = d.ref_type AND a.ref_name = d.ref_name
   AND a.campaign = d.campaign AND a.browser = d.browser AND a.os = d.os
   AND a.device = d.device AND a.country = d.country AND a.entry_page = d.entry_page
WHEN MATCHED AND a.visits + d.visits = 0 AND a.actions + d.actions = 0
             AND a.pageviews + d.pageviews = 0 AND a.bounces + d.bounces = 0
             AND a.visit_seconds + d.seconds = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    visits = a.visits + d.visits, actions = a.actions + d.actions,
    pageviews = a.pageviews + d.pageviews, bounces = a.bounces + d.bounces,
    visit_seconds = a.visit_seconds + d.seconds
-- Only a visit counted since migration 013 can be subtracted: one rolled up in part before
-- it (never added here) is not inserted as a negative row.
WHEN NOT MATCHED AND d.visits > 0 THEN INSERT (site_id, day, kind, value, hour, ref_type, ref_name, campaign,
                              browser, os, device, country, entry_page, visits, actions,
                              pageviews, bounces, visit_seconds)
    VALUES (d.site_id, d.day, d.kind, d.value, d.hour, d.ref_type, d.ref_name, d.campaign,
            d.browser, d.os, d.device, d.country, d.entry_page, d.visits, d.actions,
            d.pageviews, d.bounces, d.seconds);
