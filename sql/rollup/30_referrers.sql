-- Referrers by type and name (search engines are ref_type 'search'). $1 day, $2 threshold.
-- The type is a fixed vocabulary and never folded; a rare name (a website host) is.
WITH counted AS (
    SELECT site_id, ref_type, ref_name, count(*) AS visits, sum(actions) AS actions,
           sum(pageviews) AS pageviews,
           count(*) FILTER (WHERE actions = 1) AS bounces, sum(seconds) AS seconds
    FROM rollup_visits GROUP BY site_id, ref_type, ref_name
)
INSERT INTO agg_referrers AS a
    (site_id, day, ref_type, ref_name, visits, actions, pageviews, bounces, visit_seconds)
SELECT site_id, $1::date, ref_type,
       CASE WHEN ref_name IS NOT NULL AND visits < $2 THEN '(others)' ELSE ref_name END AS label,
       sum(visits), sum(actions), sum(pageviews), sum(bounces), sum(seconds)
FROM counted
GROUP BY site_id, ref_type, label
ON CONFLICT (site_id, day, ref_type, ref_name) DO UPDATE SET
    visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
    pageviews = a.pageviews + excluded.pageviews,
    bounces = a.bounces + excluded.bounces,
    visit_seconds = a.visit_seconds + excluded.visit_seconds;
