-- site-search: what visitors searched for on the site (Matomo's `search`), most first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Keywords are grouped lowercased and trimmed, as Matomo does (the roll-up keeps them so).
-- no_results: searches that reported search_count=0 (worth a look: visitors did not find
-- what they wanted). visits: per day, the visits with that search, summed over days.
-- "(others)": keywords seen in too few visits of a rolled-up day.
-- Shape: additive `per_day`, one row per UTC day and keyword: raw hits for days still
-- kept, agg_site_search for days rolled up (each day is in exactly one of the two).
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, (v.hit).ts, (v.hit).search_keyword,
           (v.hit).search_count
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
    WHERE (v.hit).action = 'search'
), per_day AS (
    SELECT (ts AT TIME ZONE 'UTC')::date AS day, lower(btrim(search_keyword)) AS keyword,
           count(*) AS searches, count(DISTINCT (session_id, visit_no)) AS visits,
           count(*) FILTER (WHERE search_count = 0) AS no_results
    FROM hits
    GROUP BY 1, 2
    UNION ALL
    SELECT day, keyword, searches, visits, no_results
    FROM agg_site_search
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT keyword, sum(searches)::bigint AS searches, sum(visits)::bigint AS visits,
       sum(no_results)::bigint AS no_results
FROM per_day
GROUP BY keyword
ORDER BY searches DESC, keyword COLLATE "C"
LIMIT $4;
