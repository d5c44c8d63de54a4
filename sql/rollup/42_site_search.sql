-- Site-search keywords (lowercased and trimmed in rollup_hits). $1 day, $2 threshold: search
-- terms are free text, the likeliest place for a name or an e-mail address, so rare ones
-- are folded.
WITH counted AS (
    SELECT site_id, search_keyword AS keyword, count(*) AS searches,
           count(DISTINCT (session_id, visit_no)) AS visits,
           count(*) FILTER (WHERE search_count = 0) AS no_results
    FROM rollup_hits WHERE action = 'search' AND search_keyword IS NOT NULL
    GROUP BY site_id, search_keyword
)
INSERT INTO agg_site_search AS a (site_id, day, keyword, searches, visits, no_results)
SELECT site_id, $1::date,
       CASE WHEN visits < $2 THEN '(others)' ELSE keyword END AS label,
       sum(searches), sum(visits), sum(no_results)
FROM counted
GROUP BY site_id, label
ON CONFLICT (site_id, day, keyword) DO UPDATE SET
    searches = a.searches + excluded.searches, visits = a.visits + excluded.visits,
    no_results = a.no_results + excluded.no_results;
