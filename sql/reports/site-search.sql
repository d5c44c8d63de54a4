-- site-search: site-search keywords (lowercased, trimmed), most searched first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- no_results: searches that reported 0 results (search_count=0). "(others)": keywords seen
-- in too few visits of a day whose raw data is gone (search terms are free text).
SELECT keyword, sum(searches)::bigint AS searches, sum(visits)::bigint AS visits,
       sum(no_results)::bigint AS no_results
FROM agg_site_search
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY keyword
HAVING sum(searches) > 0
ORDER BY searches DESC, keyword COLLATE "C"
LIMIT $4;
