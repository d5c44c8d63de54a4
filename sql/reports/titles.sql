-- titles: pageviews per page title (`action_name`) of one site over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Pageviews without a title are one row, "(no title)"; "(others)": titles seen in too few
-- visits of a rolled-up day. Unique pageviews as in `pages`.
-- Shape: additive `per_day`, one row per UTC day and title: raw pageviews for days still
-- kept, agg_titles for days rolled up (each day is in exactly one of the two).
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, (v.hit).ts, (v.hit).title
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
    WHERE (v.hit).action = 'pageview'
), per_day AS (
    SELECT (ts AT TIME ZONE 'UTC')::date AS day, coalesce(title, '(no title)') AS title,
           count(*) AS pageviews, count(DISTINCT (session_id, visit_no)) AS unique_pageviews
    FROM hits
    GROUP BY 1, 2
    UNION ALL
    SELECT day, coalesce(title, '(no title)'), pageviews, visits
    FROM agg_titles
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT title, sum(pageviews)::bigint AS pageviews,
       sum(unique_pageviews)::bigint AS unique_pageviews
FROM per_day
GROUP BY title
ORDER BY pageviews DESC, title COLLATE "C"
LIMIT $4;
