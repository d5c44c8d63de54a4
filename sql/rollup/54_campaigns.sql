-- Campaigns of visits, by all five parameters ('' for one not given).
MERGE INTO agg_campaigns a
USING (
    SELECT site_id, day, campaign_name AS name, campaign_source AS source,
           campaign_medium AS medium, campaign_keyword AS keyword, campaign_content AS content,
           sum(sign) AS visits, sum(sign * actions) AS actions,
           sum(sign * pageviews) AS pageviews, sum(sign * (actions <= 1)::int) AS bounces,
           sum(sign * seconds) AS seconds
    FROM r_visits
    WHERE campaign_name IS NOT NULL
    GROUP BY site_id, day, campaign_name, campaign_source, campaign_medium, campaign_keyword,
             campaign_content
    HAVING sum(sign) <> 0 OR sum(sign * actions) <> 0 OR sum(sign * pageviews) <> 0
        OR sum(sign * (actions <= 1)::int) <> 0 OR sum(sign * seconds) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.name = d.name AND a.source = d.source
   AND a.medium = d.medium AND a.keyword = d.keyword AND a.content = d.content
WHEN MATCHED AND a.visits + d.visits = 0 AND a.actions + d.actions = 0
             AND a.pageviews + d.pageviews = 0 AND a.bounces + d.bounces = 0
             AND a.visit_seconds + d.seconds = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    visits = a.visits + d.visits, actions = a.actions + d.actions,
    pageviews = a.pageviews + d.pageviews, bounces = a.bounces + d.bounces,
    visit_seconds = a.visit_seconds + d.seconds
WHEN NOT MATCHED THEN INSERT (site_id, day, name, source, medium, keyword, content, visits,
                              actions, pageviews, bounces, visit_seconds)
    VALUES (d.site_id, d.day, d.name, d.source, d.medium, d.keyword, d.content, d.visits,
            d.actions, d.pageviews, d.bounces, d.seconds);
