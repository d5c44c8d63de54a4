-- The Pages, Entry pages and Exit pages cards in one pass over agg_pages: the three reports
-- alone (pages.sql, entry-pages.sql, exit-pages.sql) each read and group the period's rows,
-- about half of a 7-day dashboard's time at 1M hits a day. The same rows as those reports,
-- in their order: $1 site id, $2 first day, $3 last day, $4 row limit; `card` 1, 2, 3.
WITH p AS MATERIALIZED (
    SELECT page, sum(pageviews)::bigint AS pageviews, sum(visits)::bigint AS visits,
           sum(entries)::bigint AS entries, sum(bounces)::bigint AS bounces,
           sum(exits)::bigint AS exits
    FROM agg_pages
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
    GROUP BY page
)
(SELECT 1 AS card, page, pageviews, visits, entries, bounces, exits,
        NULL::numeric AS bounce_rate, NULL::numeric AS exit_rate
 FROM p ORDER BY pageviews DESC, page COLLATE "C" LIMIT $4)
UNION ALL
(SELECT 2, page, pageviews, visits, entries, bounces, exits,
        round(100.0 * bounces / entries, 1), NULL
 FROM p WHERE entries > 0 ORDER BY entries DESC, page COLLATE "C" LIMIT $4)
UNION ALL
(SELECT 3, page, pageviews, visits, entries, bounces, exits,
        NULL, round(100.0 * exits / nullif(visits, 0), 1)
 FROM p WHERE exits > 0 ORDER BY exits DESC, page COLLATE "C" LIMIT $4);
