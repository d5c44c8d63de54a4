-- entry-pages: the page each visit began on, with bounces, most entrances first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
--
-- As in Matomo: the entry page is the visit's first pageview (by path); a bounce is a
-- visit with one action (pings do not count); `pageviews` are all views of that page.
-- Visits count on the day they start and are cut at local midnight: entry page and bounce
-- are over the visit's hits of that day. "(others)": pages seen in too few visits of a day
-- whose raw data is gone.
SELECT page, sum(entries)::bigint AS entrances, sum(bounces)::bigint AS bounces,
       round(100.0 * sum(bounces) / sum(entries), 1) AS bounce_rate,
       sum(pageviews)::bigint AS pageviews
FROM agg_pages
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY page
HAVING sum(entries) > 0
ORDER BY entrances DESC, page COLLATE "C"
LIMIT $4;
