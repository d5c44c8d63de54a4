-- Browsers, operating systems and device types of visits ('' when not recognised).
MERGE INTO agg_platforms a
USING (
    SELECT v.site_id, v.day, p.attribute, p.value, sum(v.sign) AS visits,
           sum(v.sign * v.actions) AS actions, sum(v.sign * v.pageviews) AS pageviews,
           sum(v.sign * (v.actions <= 1)::int) AS bounces, sum(v.sign * v.seconds) AS seconds
    FROM r_visits v
    CROSS JOIN LATERAL (VALUES ('browser', v.browser), ('os', v.os), ('device', v.device))
        AS p (attribute, value)
    GROUP BY v.site_id, v.day, p.attribute, p.value
    HAVING sum(v.sign) <> 0 OR sum(v.sign * v.actions) <> 0 OR sum(v.sign * v.pageviews) <> 0
        OR sum(v.sign * (v.actions <= 1)::int) <> 0 OR sum(v.sign * v.seconds) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.attribute = d.attribute AND a.value = d.value
WHEN MATCHED AND a.visits + d.visits = 0 AND a.actions + d.actions = 0
             AND a.pageviews + d.pageviews = 0 AND a.bounces + d.bounces = 0
             AND a.visit_seconds + d.seconds = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    visits = a.visits + d.visits, actions = a.actions + d.actions,
    pageviews = a.pageviews + d.pageviews, bounces = a.bounces + d.bounces,
    visit_seconds = a.visit_seconds + d.seconds
WHEN NOT MATCHED THEN INSERT (site_id, day, attribute, value, visits, actions, pageviews,
                              bounces, visit_seconds)
    VALUES (d.site_id, d.day, d.attribute, d.value, d.visits, d.actions, d.pageviews,
            d.bounces, d.seconds);
