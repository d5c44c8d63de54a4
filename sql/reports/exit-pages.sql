-- exit-pages: the page each visit ended on, most exits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- As in Matomo: the exit page is the visit's last pageview (by path); exit rate = exits /
-- visits that viewed the page (unique pageviews); `pageviews` are all views of that page.
-- Visits count on the day they start (visit_hits marks it) and are cut at midnight UTC, as
-- the daily aggregates keep them: a visit running past midnight exits at its last pageview
-- of its first day. "(others)": pages seen in too few visits of a rolled-up day.
-- Shape: additive `per_day`, one row per UTC day and page: for days still kept, exits from
-- raw visits and views from raw hits; for days rolled up, agg_pages (each day is in exactly
-- one of the two; docs/aggregates.md). The final SELECT sums and computes the rate.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           url_path((v.hit).url) AS page, ((v.hit).ts AT TIME ZONE 'UTC')::date AS day
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT day, (array_agg(page ORDER BY ts DESC, page DESC)
                     FILTER (WHERE action = 'pageview'))[1] AS page
    FROM hits
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT day, page, count(*) AS exits, 0 AS pageviews, 0 AS unique_pageviews
    FROM visits
    WHERE page IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT day, page, 0, count(*), count(DISTINCT (session_id, visit_no))
    FROM hits
    WHERE action = 'pageview'
    GROUP BY 1, 2
    UNION ALL
    SELECT day, page, exits, pageviews, visits
    FROM agg_pages
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT page, sum(exits)::bigint AS exits, sum(pageviews)::bigint AS pageviews,
       round(100.0 * sum(exits) / nullif(sum(unique_pageviews), 0), 1) AS exit_rate
FROM per_day
GROUP BY page
HAVING sum(exits) > 0
ORDER BY exits DESC, page COLLATE "C"
LIMIT $4;
