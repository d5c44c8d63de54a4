-- Languages of visits: primary language and region of the tag ('' none), from the hit that
-- started the visit.
MERGE INTO agg_languages a
USING (
    SELECT site_id, day, language_of(lang) AS language, language_region(lang) AS region,
           sum(sign) AS visits, sum(sign * actions) AS actions, sum(sign * pageviews) AS pageviews,
           sum(sign * (actions <= 1)::int) AS bounces, sum(sign * seconds) AS seconds
    FROM r_visits
    GROUP BY 1, 2, 3, 4
    HAVING sum(sign) <> 0 OR sum(sign * actions) <> 0 OR sum(sign * pageviews) <> 0
        OR sum(sign * (actions <= 1)::int) <> 0 OR sum(sign * seconds) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.language = d.language AND a.region = d.region
WHEN MATCHED AND a.visits + d.visits = 0 AND a.actions + d.actions = 0
             AND a.pageviews + d.pageviews = 0 AND a.bounces + d.bounces = 0
             AND a.visit_seconds + d.seconds = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    visits = a.visits + d.visits, actions = a.actions + d.actions,
    pageviews = a.pageviews + d.pageviews, bounces = a.bounces + d.bounces,
    visit_seconds = a.visit_seconds + d.seconds
WHEN NOT MATCHED THEN INSERT (site_id, day, language, region, visits, actions, pageviews,
                              bounces, visit_seconds)
    VALUES (d.site_id, d.day, d.language, d.region, d.visits, d.actions, d.pageviews,
            d.bounces, d.seconds);
