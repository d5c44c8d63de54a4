-- What visits did, as visit facets fold (89_visit_facets.sql): a value folded into
-- '(others)' in its own table that day is '(others)' here too, the page or event category
-- done included (agg_pages, agg_events); goals are never folded. Rows that then share a key
-- are summed.
WITH kept AS (
    SELECT f.ctid AS id,
           CASE WHEN f.kind = 'goal' OR f.value = '(others)'
                  OR (f.kind = 'page' AND EXISTS (
                    SELECT 1 FROM agg_pages p WHERE p.site_id = :site AND p.day = :day
                      AND p.page = f.value))
                  OR (f.kind = 'event' AND EXISTS (
                    SELECT 1 FROM agg_events e WHERE e.site_id = :site AND e.day = :day
                      AND e.category = f.value))
                THEN f.value ELSE '(others)' END AS value,
           CASE WHEN f.entry_page = '' OR EXISTS (
                    SELECT 1 FROM agg_pages p WHERE p.site_id = :site AND p.day = :day
                      AND p.page = f.entry_page AND p.entries > 0)
                THEN f.entry_page ELSE '(others)' END AS entry_page,
           CASE WHEN f.ref_name = '' OR EXISTS (
                    SELECT 1 FROM agg_referrers r WHERE r.site_id = :site AND r.day = :day
                      AND r.ref_type = f.ref_type AND r.ref_name = f.ref_name)
                THEN f.ref_name ELSE '(others)' END AS ref_name,
           CASE WHEN f.campaign = '' OR EXISTS (
                    SELECT 1 FROM agg_campaigns c WHERE c.site_id = :site AND c.day = :day
                      AND c.name = f.campaign)
                THEN f.campaign ELSE '(others)' END AS campaign,
           CASE WHEN f.browser = '' OR EXISTS (
                    SELECT 1 FROM agg_platforms b WHERE b.site_id = :site AND b.day = :day
                      AND b.attribute = 'browser' AND b.value = f.browser)
                THEN f.browser ELSE '(others)' END AS browser,
           CASE WHEN f.os = '' OR EXISTS (
                    SELECT 1 FROM agg_platforms o WHERE o.site_id = :site AND o.day = :day
                      AND o.attribute = 'os' AND o.value = f.os)
                THEN f.os ELSE '(others)' END AS os,
           CASE WHEN f.country = '' OR EXISTS (
                    SELECT 1 FROM agg_countries n WHERE n.site_id = :site AND n.day = :day
                      AND n.country = f.country)
                THEN f.country ELSE '(others)' END AS country
    FROM agg_visit_actions f
    WHERE f.site_id = :site AND f.day = :day
), gone AS (
    DELETE FROM agg_visit_actions a
    USING kept k
    WHERE a.site_id = :site AND a.day = :day AND a.ctid = k.id
      AND (k.value, k.entry_page, k.ref_name, k.campaign, k.browser, k.os, k.country)
          <> (a.value, a.entry_page, a.ref_name, a.campaign, a.browser, a.os, a.country)
    RETURNING a.kind, k.value, a.hour, a.ref_type, a.device, a.visits, a.actions,
              a.pageviews, a.bounces, a.visit_seconds, k.entry_page, k.ref_name, k.campaign, k.browser, k.os, k.country
), folded AS (
    INSERT INTO agg_visit_actions AS a (site_id, day, kind, value, hour, ref_type, ref_name,
                                        campaign, browser, os, device, country, entry_page,
                                        visits, actions, pageviews, bounces, visit_seconds)
    SELECT :site, :day, kind, value, hour, ref_type, ref_name, campaign, browser, os, device,
           country, entry_page, sum(visits), sum(actions), sum(pageviews), sum(bounces),
           sum(visit_seconds)
    FROM gone
    GROUP BY kind, value, hour, ref_type, ref_name, campaign, browser, os, device, country,
             entry_page
    ON CONFLICT (site_id, day, kind, value, hour, ref_type, ref_name, campaign, browser, os,
                 device, country, entry_page) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
        pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
        visit_seconds = a.visit_seconds + excluded.visit_seconds
    RETURNING 1
)
SELECT count(*) FROM gone;
