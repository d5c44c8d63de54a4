-- Goal conversions, from what each hit converted (hits.goals, matched on ingest): per goal,
-- and per goal by the converting visit's channel (ref_type, ref_name), campaign and entry
-- page, all from the visit's start. A goal converts at most once per visit unless it allows
-- more (the flag travels with the hit): the visit's first conversion counts, by time, then
-- row position. A conversion counts on its hit's local day; `visits` are the visits that
-- converted the goal that day (conversion rate = visits / all visits).
WITH conversions AS (
    SELECT h.sign, h.site_id, h.session_id, h.segment, h.day, g.goal_id, g.revenue, g.once,
           row_number() OVER (PARTITION BY h.sign, h.site_id, h.session_id, h.segment, g.goal_id
                              ORDER BY h.ts, h.tie) AS nth
    FROM r_vhits h
    CROSS JOIN LATERAL (
        SELECT (e ->> 0)::integer AS goal_id, (e ->> 1)::numeric AS revenue,
               (e ->> 2)::boolean AS once
        FROM jsonb_array_elements(h.goals) e
    ) g
    WHERE h.goals IS NOT NULL
), visits AS (
    SELECT sign, site_id, session_id, segment, ref_type, ref_name, campaign_name,
           coalesce(entry_page, '') AS entry_page
    FROM r_visits
), per_visit AS (
    SELECT c.sign, c.site_id, c.day, c.goal_id, v.ref_type, v.ref_name, v.campaign_name,
           v.entry_page, count(*) AS conversions, coalesce(sum(c.revenue), 0) AS revenue
    FROM conversions c
    JOIN visits v USING (sign, site_id, session_id, segment)
    WHERE NOT c.once OR c.nth = 1
    GROUP BY c.sign, c.site_id, c.session_id, c.segment, c.day, c.goal_id, v.ref_type,
             v.ref_name, v.campaign_name, v.entry_page
)
MERGE INTO agg_goals a
USING (
    SELECT site_id, day, goal_id, k.attribute, k.label, k.detail,
           sum(sign * conversions) AS conversions, sum(sign) AS visits,
           sum(sign * revenue) AS revenue
    FROM per_visit
    CROSS JOIN LATERAL (VALUES ('total', '', ''), ('channel', ref_type, ref_name),
                               ('campaign', campaign_name, ''), ('entry_page', entry_page, ''))
        AS k (attribute, label, detail)
    WHERE k.label IS NOT NULL  -- a visit without a campaign has no campaign row
    GROUP BY site_id, day, goal_id, k.attribute, k.label, k.detail
    HAVING sum(sign * conversions) <> 0 OR sum(sign) <> 0 OR sum(sign * revenue) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.goal_id = d.goal_id
   AND a.attribute = d.attribute AND a.label = d.label AND a.detail = d.detail
WHEN MATCHED AND a.conversions + d.conversions = 0 AND a.visits + d.visits = 0
             AND a.revenue + d.revenue = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    conversions = a.conversions + d.conversions, visits = a.visits + d.visits,
    revenue = a.revenue + d.revenue
WHEN NOT MATCHED THEN INSERT (site_id, day, goal_id, attribute, label, detail, conversions,
                              visits, revenue)
    VALUES (d.site_id, d.day, d.goal_id, d.attribute, d.label, d.detail, d.conversions,
            d.visits, d.revenue);
