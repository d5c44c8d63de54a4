-- Site-search keywords, lowercased and trimmed: searches, visits that searched them that day,
-- and searches that reported no results (search_count=0).
MERGE INTO agg_site_search a
USING (
    SELECT site_id, day, keyword, sum(searches) AS searches, sum(visits) AS visits,
           sum(no_results) AS no_results
    FROM (
        SELECT site_id, day, search_keyword AS keyword, sign * count(*) AS searches,
               sign AS visits, sign * count(*) FILTER (WHERE search_count = 0) AS no_results
        FROM r_vhits
        WHERE action = 'search' AND search_keyword IS NOT NULL
        GROUP BY sign, site_id, session_id, segment, day, search_keyword
    ) c
    GROUP BY site_id, day, keyword
    HAVING sum(searches) <> 0 OR sum(visits) <> 0 OR sum(no_results) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.keyword = d.keyword
WHEN MATCHED AND a.searches + d.searches = 0 AND a.visits + d.visits = 0
             AND a.no_results + d.no_results = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    searches = a.searches + d.searches, visits = a.visits + d.visits,
    no_results = a.no_results + d.no_results
WHEN NOT MATCHED THEN INSERT (site_id, day, keyword, searches, visits, no_results)
    VALUES (d.site_id, d.day, d.keyword, d.searches, d.visits, d.no_results);
