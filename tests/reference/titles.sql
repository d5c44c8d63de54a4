-- Reference: titles. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, ((v.hit).ts AT TIME ZONE v.tz)::date AS day,
           coalesce((v.hit).title, '(no title)') AS title
    FROM pg_temp.visit_hits($1) v
    WHERE (v.hit).action = 'pageview'
), per_day AS (
    SELECT day, title, count(*) AS pageviews,
           count(DISTINCT (session_id, visit_no)) AS unique_pageviews
    FROM hits WHERE day BETWEEN $2::date AND $3::date
    GROUP BY 1, 2
)
SELECT title, sum(pageviews)::bigint AS pageviews, sum(unique_pageviews)::bigint AS unique_pageviews
FROM per_day GROUP BY title ORDER BY pageviews DESC, title COLLATE "C" LIMIT $4;
