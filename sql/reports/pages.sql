-- pages: pageviews per page (URL path) of one site over a period, most viewed first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- The page is the URL's path: query strings and fragments can carry search terms, tokens
-- or e-mail addresses, and would split one page into many rows. Unique pageviews: per day,
-- the visits that viewed the page (Matomo's nb_visits), summed over days. "(others)": pages
-- seen in too few visits of a rolled-up day (docs/aggregates.md).
-- Shape: `per_day` has additive columns only, one row per UTC day and page: raw pageviews
-- for days still kept, agg_pages for days rolled up (each day is in exactly one of the two);
-- the final SELECT sums them. The LIMIT applies after grouping.
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
    UNION ALL
    SELECT day, page, pageviews, visits
    FROM agg_pages
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT page, sum(pageviews)::bigint AS pageviews,
       sum(unique_pageviews)::bigint AS unique_pageviews
FROM per_day
GROUP BY page
ORDER BY pageviews DESC, page COLLATE "C"
LIMIT $4;
