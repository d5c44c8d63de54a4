-- Reference: site-search. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, ((v.hit).ts AT TIME ZONE v.tz)::date AS day,
           lower(btrim((v.hit).search_keyword)) AS keyword, (v.hit).search_count
    FROM pg_temp.visit_hits($1) v
    WHERE (v.hit).action = 'search' AND (v.hit).search_keyword IS NOT NULL
), per_day AS (
    SELECT day, keyword, count(*) AS searches, count(DISTINCT (session_id, visit_no)) AS visits,
           count(*) FILTER (WHERE search_count = 0) AS no_results
    FROM hits WHERE day BETWEEN $2::date AND $3::date GROUP BY 1, 2
)
SELECT keyword, sum(searches)::bigint AS searches, sum(visits)::bigint AS visits,
       sum(no_results)::bigint AS no_results
FROM per_day GROUP BY keyword ORDER BY searches DESC, keyword COLLATE "C" LIMIT $4;
