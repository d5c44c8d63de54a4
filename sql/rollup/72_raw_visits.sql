-- Raw visits (migration 014), step two: every visit as it is now (sign +1), with the things
-- it did on its first day, as 70_visit_actions counts them.
WITH did AS (
    SELECT h.site_id, h.session_id, h.segment,
           array_agg(DISTINCT x.thing ORDER BY x.thing) AS did
    FROM r_vhits h
    CROSS JOIN LATERAL (
        SELECT 'page:' || h.page WHERE h.action = 'pageview' AND h.page IS NOT NULL
        UNION ALL
        SELECT 'event:' || h.event_category
        WHERE h.action = 'event' AND h.event_category IS NOT NULL
        UNION ALL
        SELECT 'goal:' || (g ->> 0) FROM jsonb_array_elements(coalesce(h.goals, '[]')) AS g
    ) AS x (thing)
    WHERE h.sign = 1 AND h.counted AND h.day = h.start_day
    GROUP BY h.site_id, h.session_id, h.segment
)
INSERT INTO raw_visits
SELECT v.site_id, v.session_id, v.started_at, v.day, v.hour, v.ref_type, v.ref_name,
       coalesce(v.campaign_name, ''), v.browser, v.os, v.device, v.country,
       coalesce(v.entry_page, ''), v.actions, v.pageviews, v.seconds, coalesce(d.did, '{}')
FROM r_visits v
LEFT JOIN did d ON d.site_id = v.site_id AND d.session_id = v.session_id
               AND d.segment = v.segment
WHERE v.sign = 1;
