-- pages: pageviews and visits per page (URL path, no query or fragment) over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
-- Rolled-up days from agg_pages, the others from raw hits (docs/aggregates.md). Visits are
-- counted per day, as the aggregates keep them: a visit viewing a page on both sides of
-- midnight counts on each day. '(others)' holds pages folded at roll-up.
SELECT page, sum(pageviews)::bigint AS pageviews, sum(visits)::bigint AS visits
FROM (
    SELECT page_path((hit).url) AS page,
           count(*) AS pageviews,
           count(DISTINCT ((hit).session_id, visit_no, ((hit).ts AT TIME ZONE 'UTC')::date))
               AS visits
    FROM visit_hits($1, $2::date, $3::date + 1)
    WHERE (hit).action = 'pageview'
    GROUP BY 1
    UNION ALL
    SELECT page, pageviews, visits
    FROM agg_pages
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
) AS days
GROUP BY page
ORDER BY pageviews DESC, page
LIMIT $4;
