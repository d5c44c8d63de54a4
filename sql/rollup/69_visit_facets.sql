-- Visit facets: every visit-level value at once, per local hour (migration 013).
MERGE INTO agg_visit_facets a
USING (
    SELECT site_id, day, hour, ref_type, ref_name, coalesce(campaign_name, '') AS campaign,
           browser, os, device, country, coalesce(entry_page, '') AS entry_page,
           sum(sign) AS visits, sum(sign * actions) AS actions, sum(sign * pageviews) AS pageviews,
           sum(sign * (actions <= 1)::int) AS bounces, sum(sign * seconds) AS seconds
    FROM r_visits
    GROUP BY site_id, day, hour, ref_type, ref_name, coalesce(campaign_name, ''), browser, os,
             device, country, coalesce(entry_page, '')
    HAVING sum(sign) <> 0 OR sum(sign * actions) <> 0 OR sum(sign * pageviews) <> 0
        OR sum(sign * (actions <= 1)::int) <> 0 OR sum(sign * seconds) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.hour = d.hour AND a.ref_type = d.ref_type
   AND a.ref_name = d.ref_name AND a.campaign = d.campaign AND a.browser = d.browser
   AND a.os = d.os AND a.device = d.device AND a.country = d.country
   AND a.entry_page = d.entry_page
WHEN MATCHED AND a.visits + d.visits = 0 AND a.actions + d.actions = 0
             AND a.pageviews + d.pageviews = 0 AND a.bounces + d.bounces = 0
             AND a.visit_seconds + d.seconds = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    visits = a.visits + d.visits, actions = a.actions + d.actions,
    pageviews = a.pageviews + d.pageviews, bounces = a.bounces + d.bounces,
    visit_seconds = a.visit_seconds + d.seconds
-- Only a visit counted since migration 013 can be subtracted: one rolled up in part before
-- it (never added here) is not inserted as a negative row.
WHEN NOT MATCHED AND d.visits > 0 THEN INSERT (site_id, day, hour, ref_type, ref_name, campaign, browser, os,
                              device, country, entry_page, visits, actions, pageviews,
                              bounces, visit_seconds)
    VALUES (d.site_id, d.day, d.hour, d.ref_type, d.ref_name, d.campaign, d.browser, d.os,
            d.device, d.country, d.entry_page, d.visits, d.actions, d.pageviews, d.bounces,
            d.seconds);
