-- Visit facets follow the single-dimension tables folded before them (10-88): a value that
-- went to '(others)' there that day (a rare entry page, referrer, campaign, browser, OS or
-- country) is '(others)' here too, so a filtered card never shows what the unfiltered one
-- hides, and the filter links of folded rows ('(others)') still match. Rows that then share
-- a key are summed.
WITH kept AS (
    SELECT f.ctid AS id,
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
    FROM agg_visit_facets f
    WHERE f.site_id = :site AND f.day = :day
), gone AS (
    DELETE FROM agg_visit_facets a
    USING kept k
    WHERE a.site_id = :site AND a.day = :day AND a.ctid = k.id
      AND (k.entry_page, k.ref_name, k.campaign, k.browser, k.os, k.country)
          <> (a.entry_page, a.ref_name, a.campaign, a.browser, a.os, a.country)
    RETURNING a.hour, a.ref_type, a.device, a.visits, a.actions, a.pageviews, a.bounces,
              a.visit_seconds, k.entry_page, k.ref_name, k.campaign, k.browser, k.os, k.country
), folded AS (
    INSERT INTO agg_visit_facets AS a (site_id, day, hour, ref_type, ref_name, campaign, browser,
                                       os, device, country, entry_page, visits, actions,
                                       pageviews, bounces, visit_seconds)
    SELECT :site, :day, hour, ref_type, ref_name, campaign, browser, os, device, country,
           entry_page, sum(visits), sum(actions), sum(pageviews), sum(bounces),
           sum(visit_seconds)
    FROM gone
    GROUP BY hour, ref_type, ref_name, campaign, browser, os, device, country, entry_page
    ON CONFLICT (site_id, day, hour, ref_type, ref_name, campaign, browser, os, device, country,
                 entry_page) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
        pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
        visit_seconds = a.visit_seconds + excluded.visit_seconds
    RETURNING 1
)
SELECT count(*) FROM gone;
