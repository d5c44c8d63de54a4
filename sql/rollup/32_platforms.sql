-- Browsers, operating systems and device types of visits. $1 day, $2 threshold.
-- A rare browser or OS is folded; device types are a fixed vocabulary and never are.
WITH counted AS (
    SELECT v.site_id, p.attribute, p.value, count(*) AS visits, sum(v.actions) AS actions,
           sum(v.pageviews) AS pageviews,
           count(*) FILTER (WHERE v.actions = 1) AS bounces, sum(v.seconds) AS seconds
    FROM rollup_visits v
    CROSS JOIN LATERAL (VALUES ('browser', v.browser), ('os', v.os), ('device', v.device))
        AS p (attribute, value)
    GROUP BY v.site_id, p.attribute, p.value
)
INSERT INTO agg_platforms AS a
    (site_id, day, attribute, value, visits, actions, pageviews, bounces, visit_seconds)
SELECT site_id, $1::date, attribute,
       CASE WHEN attribute <> 'device' AND value IS NOT NULL AND visits < $2
            THEN '(others)' ELSE value END AS label,
       sum(visits), sum(actions), sum(pageviews), sum(bounces), sum(seconds)
FROM counted
GROUP BY site_id, attribute, label
ON CONFLICT (site_id, day, attribute, value) DO UPDATE SET
    visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
    pageviews = a.pageviews + excluded.pageviews,
    bounces = a.bounces + excluded.bounces,
    visit_seconds = a.visit_seconds + excluded.visit_seconds;
