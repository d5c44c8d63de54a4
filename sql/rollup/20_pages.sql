-- Pages by path, with entries, bounces and exits. $1 day, $2 fold threshold (visits).
WITH viewed AS (
    SELECT site_id, page, count(*) AS pageviews,
           count(DISTINCT (session_id, visit_no)) AS visits
    FROM rollup_hits WHERE action = 'pageview' GROUP BY site_id, page
), entered AS (
    SELECT site_id, entry_page AS page, count(*) AS entries,
           count(*) FILTER (WHERE actions = 1) AS bounces
    FROM rollup_visits WHERE entry_page IS NOT NULL GROUP BY site_id, entry_page
), exited AS (
    SELECT site_id, exit_page AS page, count(*) AS exits
    FROM rollup_visits WHERE exit_page IS NOT NULL GROUP BY site_id, exit_page
)
INSERT INTO agg_pages AS a (site_id, day, page, pageviews, visits, entries, bounces, exits)
SELECT site_id, $1::date,
       CASE WHEN w.visits < $2 THEN '(others)' ELSE page END AS label,
       sum(w.pageviews), sum(w.visits), coalesce(sum(e.entries), 0),
       coalesce(sum(e.bounces), 0), coalesce(sum(x.exits), 0)
FROM viewed w
LEFT JOIN entered e USING (site_id, page)
LEFT JOIN exited x USING (site_id, page)
GROUP BY site_id, label
ON CONFLICT (site_id, day, page) DO UPDATE SET
    pageviews = a.pageviews + excluded.pageviews, visits = a.visits + excluded.visits,
    entries = a.entries + excluded.entries, bounces = a.bounces + excluded.bounces,
    exits = a.exits + excluded.exits;
