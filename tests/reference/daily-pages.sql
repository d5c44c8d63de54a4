-- Reference: daily-pages. $1 site, $2 first, $3 last day, $4 limit per day.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, ((v.hit).ts AT TIME ZONE v.tz)::date AS day,
           url_path((v.hit).url) AS page
    FROM pg_temp.visit_hits($1) v
    WHERE (v.hit).action = 'pageview'
), per_day AS (
    SELECT day, page, count(*) AS pageviews,
           count(DISTINCT (session_id, visit_no)) AS unique_pageviews
    FROM hits WHERE day BETWEEN $2::date AND $3::date
    GROUP BY 1, 2
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY day ORDER BY pageviews DESC, page COLLATE "C") AS n
    FROM per_day
)
SELECT day, page, pageviews::bigint AS pageviews, unique_pageviews::bigint AS unique_pageviews
FROM ranked WHERE n <= $4
ORDER BY day, pageviews DESC, page COLLATE "C";
