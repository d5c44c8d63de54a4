-- pages: pageviews per page (URL path) of one site over a period, most viewed first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
--
-- The page is the URL's path: query strings and fragments can carry search terms, tokens
-- or e-mail addresses, and would split one page into many rows. Unique pageviews: per day,
-- the visits that viewed the page (Matomo's nb_visits), summed over days. "(others)": pages
-- seen in too few visits of a day whose raw data is gone (docs/aggregates.md).
-- agg_pages' primary key (site_id, day, page) reads the period; the LIMIT applies after
-- grouping.
SELECT page, sum(pageviews)::bigint AS pageviews, sum(visits)::bigint AS unique_pageviews
FROM agg_pages
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY page
ORDER BY pageviews DESC, page COLLATE "C"
LIMIT $4;
