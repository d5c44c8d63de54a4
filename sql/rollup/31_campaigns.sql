-- Campaigns, by all five parameters. $1 day, $2 threshold: a rare combination is folded
-- whole into name '(others)' (keyword and content are free text).
WITH counted AS (
    SELECT site_id, campaign_name AS name, campaign_source AS source,
           campaign_medium AS medium, campaign_keyword AS keyword, campaign_content AS content,
           count(*) AS visits, sum(actions) AS actions, sum(pageviews) AS pageviews,
           count(*) FILTER (WHERE actions = 1) AS bounces, sum(seconds) AS seconds
    FROM rollup_visits WHERE campaign_name IS NOT NULL
    GROUP BY site_id, campaign_name, campaign_source, campaign_medium, campaign_keyword,
             campaign_content
)
INSERT INTO agg_campaigns AS a
    (site_id, day, name, source, medium, keyword, content,
     visits, actions, pageviews, bounces, visit_seconds)
SELECT site_id, $1::date,
       CASE WHEN fold THEN '(others)' ELSE name END AS f_name,
       CASE WHEN fold THEN NULL ELSE source END AS f_source,
       CASE WHEN fold THEN NULL ELSE medium END AS f_medium,
       CASE WHEN fold THEN NULL ELSE keyword END AS f_keyword,
       CASE WHEN fold THEN NULL ELSE content END AS f_content,
       sum(visits), sum(actions), sum(pageviews), sum(bounces), sum(seconds)
FROM (SELECT counted.*, counted.visits < $2 AS fold FROM counted) c
GROUP BY site_id, f_name, f_source, f_medium, f_keyword, f_content
ON CONFLICT (site_id, day, name, source, medium, keyword, content) DO UPDATE SET
    visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
    pageviews = a.pageviews + excluded.pageviews,
    bounces = a.bounces + excluded.bounces,
    visit_seconds = a.visit_seconds + excluded.visit_seconds;
