-- Page titles ('' for pageviews without one): pageviews, visits that viewed them that day.
MERGE INTO agg_titles a
USING (
    SELECT site_id, day, title, sum(pageviews) AS pageviews, sum(visits) AS visits
    FROM (
        SELECT site_id, day, title, sign * count(*) AS pageviews, sign AS visits
        FROM r_vhits WHERE action = 'pageview'
        GROUP BY sign, site_id, session_id, segment, day, title
    ) c
    GROUP BY site_id, day, title
    HAVING sum(pageviews) <> 0 OR sum(visits) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.title = d.title
WHEN MATCHED AND a.pageviews + d.pageviews = 0 AND a.visits + d.visits = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET pageviews = a.pageviews + d.pageviews, visits = a.visits + d.visits
WHEN NOT MATCHED THEN INSERT (site_id, day, title, pageviews, visits)
    VALUES (d.site_id, d.day, d.title, d.pageviews, d.visits);
