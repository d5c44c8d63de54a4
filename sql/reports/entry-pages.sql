-- entry-pages: the page each visit began on, with bounces, most entrances first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- As in Matomo: the entry page is the visit's first pageview (by path); a bounce is a
-- visit with one action (pings do not count); `pageviews` are all views of that page.
-- Visits count on the day they start (visit_hits marks it) and are cut at midnight UTC, as
-- the daily aggregates keep them: entry page and bounce are over the visit's hits of that
-- day. "(others)": pages seen in too few visits of a rolled-up day.
-- Shape: additive `per_day`, one row per UTC day and page: for days still kept, entrances
-- and bounces from raw visits and pageviews from raw hits; for days rolled up, agg_pages
-- (each day is in exactly one of the two; docs/aggregates.md). The final SELECT sums.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           url_path((v.hit).url) AS page, ((v.hit).ts AT TIME ZONE 'UTC')::date AS day
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT day, (array_agg(page ORDER BY ts, page) FILTER (WHERE action = 'pageview'))[1] AS page,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT day, page, count(*) AS entrances, count(*) FILTER (WHERE actions = 1) AS bounces,
           0 AS pageviews
    FROM visits
    WHERE page IS NOT NULL  -- a visit without a pageview has no entry page
    GROUP BY 1, 2
    UNION ALL
    SELECT day, page, 0, 0, count(*)
    FROM hits
    WHERE action = 'pageview'
    GROUP BY 1, 2
    UNION ALL
    SELECT day, page, entries, bounces, pageviews
    FROM agg_pages
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT page, sum(entrances)::bigint AS entrances, sum(bounces)::bigint AS bounces,
       round(100.0 * sum(bounces) / sum(entrances), 1) AS bounce_rate,
       sum(pageviews)::bigint AS pageviews
FROM per_day
GROUP BY page
HAVING sum(entrances) > 0
ORDER BY entrances DESC, page COLLATE "C"
LIMIT $4;
