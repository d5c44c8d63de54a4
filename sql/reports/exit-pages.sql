-- exit-pages: the page each visit ended on, most exits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- As in Matomo: the exit page is the visit's last pageview (by path); exit rate = exits /
-- visits that viewed the page (unique pageviews); `pageviews` are all views of that page.
-- A visit still running at the end of the period exits where the period cuts it.
-- Shape: additive `per_day` (exits on the visit's first day, views on their own day), to
-- which daily aggregates can be added with UNION ALL.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).url
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), visits AS (
    SELECT min(ts) AS started,
           (array_agg(url_path(url) ORDER BY ts DESC)
               FILTER (WHERE action = 'pageview'))[1] AS page
    FROM hits
    GROUP BY session_id, visit_no
    HAVING bool_or(visit_start)
), per_day AS (
    SELECT (started AT TIME ZONE 'UTC')::date AS day, page,
           count(*) AS exits, 0 AS pageviews, 0 AS unique_pageviews
    FROM visits
    WHERE page IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT (ts AT TIME ZONE 'UTC')::date, url_path(url), 0,
           count(*), count(DISTINCT (session_id, visit_no))
    FROM hits
    WHERE action = 'pageview'
    GROUP BY 1, 2
)
SELECT page, sum(exits)::bigint AS exits, sum(pageviews)::bigint AS pageviews,
       round(100.0 * sum(exits) / nullif(sum(unique_pageviews), 0), 1) AS exit_rate
FROM per_day
GROUP BY page
HAVING sum(exits) > 0
ORDER BY exits DESC, page COLLATE "C"
LIMIT $4;
