-- pages: pageviews per page (URL path) of one site over a period, most viewed first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- The page is the URL's path: query strings and fragments can carry search terms, tokens
-- or e-mail addresses, and would split one page into many rows. Unique pageviews: per day,
-- the visits that viewed the page (Matomo's nb_visits), summed over days.
-- Shape: `per_day` has additive columns only, so daily aggregates can be added with
-- UNION ALL; the final SELECT sums. Reads pageviews only; the LIMIT applies after grouping.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, (v.hit).ts, (v.hit).url
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
    WHERE (v.hit).action = 'pageview'
), per_day AS (
    SELECT (ts AT TIME ZONE 'UTC')::date AS day, url_path(url) AS page,
           count(*) AS pageviews, count(DISTINCT (session_id, visit_no)) AS unique_pageviews
    FROM hits
    GROUP BY 1, 2
)
SELECT page, sum(pageviews)::bigint AS pageviews,
       sum(unique_pageviews)::bigint AS unique_pageviews
FROM per_day
GROUP BY page
ORDER BY pageviews DESC, page COLLATE "C"
LIMIT $4;
