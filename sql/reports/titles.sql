-- titles: pageviews per page title (action_name) of one site over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
--
-- Pageviews without a title are "(no title)". Unique pageviews as in `pages`. "(others)":
-- titles seen in too few visits of a day whose raw data is gone.
SELECT coalesce(nullif(title, ''), '(no title)') AS title, sum(pageviews)::bigint AS pageviews,
       sum(visits)::bigint AS unique_pageviews
FROM agg_titles
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY agg_titles.title
ORDER BY pageviews DESC, coalesce(nullif(agg_titles.title, ''), '(no title)') COLLATE "C"
LIMIT $4;
