-- daily-pages: the most viewed pages of each local day, $4 per day, for the open-data export.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit (per day).
-- Pageviews and unique pageviews as in `pages`; only paths (never query strings), and
-- "(others)" for pages seen in too few visits of a day whose raw data is gone. One index
-- range read of agg_pages' primary key (site_id, day, page) per day of the period.
SELECT d.day::date AS day, p.page, p.pageviews, p.unique_pageviews
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d (day)
CROSS JOIN LATERAL (
    SELECT page, pageviews::bigint AS pageviews, visits::bigint AS unique_pageviews
    FROM agg_pages
    WHERE site_id = $1 AND day = d.day::date AND pageviews > 0
    ORDER BY pageviews DESC, page COLLATE "C"
    LIMIT $4
) p
ORDER BY d.day, p.pageviews DESC, p.page COLLATE "C";
