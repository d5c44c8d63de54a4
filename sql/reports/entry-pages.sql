-- entry-pages: the page each visit began on, with bounces, most entrances first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- As in Matomo: the entry page is the visit's first pageview (by path); a bounce is a
-- visit with one action (pings do not count); `pageviews` are all views of that page.
-- Only visits that start in the period are read whole (visit_hits marks them).
-- Shape: additive `per_day` (entrances and bounces on the visit's first day, pageviews on
-- their own day), to which daily aggregates can be added with UNION ALL.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).url
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT min(ts) AS started,
           (array_agg(url_path(url) ORDER BY ts) FILTER (WHERE action = 'pageview'))[1] AS page,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY session_id, visit_no
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT (started AT TIME ZONE 'UTC')::date AS day, page,
           count(*) AS entrances, count(*) FILTER (WHERE actions = 1) AS bounces,
           0 AS pageviews
    FROM visits
    WHERE page IS NOT NULL  -- a visit without a pageview has no entry page
    GROUP BY 1, 2
    UNION ALL
    SELECT (ts AT TIME ZONE 'UTC')::date, url_path(url), 0, 0, count(*)
    FROM hits
    WHERE action = 'pageview'
    GROUP BY 1, 2
)
SELECT page, sum(entrances)::bigint AS entrances, sum(bounces)::bigint AS bounces,
       round(100.0 * sum(bounces) / sum(entrances), 1) AS bounce_rate,
       sum(pageviews)::bigint AS pageviews
FROM per_day
GROUP BY page
HAVING sum(entrances) > 0
ORDER BY entrances DESC, page COLLATE "C"
LIMIT $4;
