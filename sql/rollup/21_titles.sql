-- Page titles. $1 day, $2 fold threshold. A missing title (NULL) is kept as such.
WITH viewed AS (
    SELECT site_id, title, count(*) AS pageviews,
           count(DISTINCT (session_id, visit_no)) AS visits
    FROM rollup_hits WHERE action = 'pageview' GROUP BY site_id, title
)
INSERT INTO agg_titles AS a (site_id, day, title, pageviews, visits)
SELECT site_id, $1::date,
       CASE WHEN title IS NOT NULL AND visits < $2 THEN '(others)' ELSE title END AS label,
       sum(pageviews), sum(visits)
FROM viewed
GROUP BY site_id, label
ON CONFLICT (site_id, day, title) DO UPDATE SET
    pageviews = a.pageviews + excluded.pageviews, visits = a.visits + excluded.visits;
