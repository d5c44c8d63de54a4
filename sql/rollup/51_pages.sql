-- Pages by path: pageviews, visits that viewed the page that day ("unique pageviews"),
-- entries (visits that started on it), their bounces, exits (last pageview of the day).
MERGE INTO agg_pages a
USING (
    SELECT site_id, day, page, sum(pageviews) AS pageviews, sum(visits) AS visits,
           sum(entries) AS entries, sum(bounces) AS bounces, sum(exits) AS exits
    FROM (
        SELECT site_id, day, page, sign * count(*) AS pageviews, sign AS visits,
               0 AS entries, 0 AS bounces, 0 AS exits
        FROM r_vhits WHERE action = 'pageview'
        GROUP BY sign, site_id, session_id, segment, day, page
        UNION ALL
        SELECT site_id, day, entry_page, 0, 0, sign, sign * (actions <= 1)::int, 0
        FROM r_visits WHERE entry_page IS NOT NULL
        UNION ALL
        SELECT site_id, day, exit_page, 0, 0, 0, 0, sign
        FROM r_visits WHERE exit_page IS NOT NULL
    ) c
    GROUP BY site_id, day, page
    HAVING sum(pageviews) <> 0 OR sum(visits) <> 0 OR sum(entries) <> 0 OR sum(bounces) <> 0
        OR sum(exits) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.page = d.page
WHEN MATCHED AND a.pageviews + d.pageviews = 0 AND a.visits + d.visits = 0
             AND a.entries + d.entries = 0 AND a.bounces + d.bounces = 0
             AND a.exits + d.exits = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    pageviews = a.pageviews + d.pageviews, visits = a.visits + d.visits,
    entries = a.entries + d.entries, bounces = a.bounces + d.bounces, exits = a.exits + d.exits
WHEN NOT MATCHED THEN INSERT (site_id, day, page, pageviews, visits, entries, bounces, exits)
    VALUES (d.site_id, d.day, d.page, d.pageviews, d.visits, d.entries, d.bounces, d.exits);
