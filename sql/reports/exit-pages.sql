-- exit-pages: the page each visit ended on, most exits first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
--
-- As in Matomo: the exit page is the visit's last pageview (of its first day: visits are
-- cut at local midnight); exit rate = exits / visits that viewed the page (unique pageviews).
-- "(others)": pages seen in too few visits of a day whose raw data is gone.
SELECT page, sum(exits)::bigint AS exits, sum(pageviews)::bigint AS pageviews,
       round(100.0 * sum(exits) / nullif(sum(visits), 0), 1) AS exit_rate
FROM agg_pages
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY page
HAVING sum(exits) > 0
ORDER BY exits DESC, page COLLATE "C"
LIMIT $4;
