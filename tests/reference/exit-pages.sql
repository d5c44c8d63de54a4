-- Reference: exit-pages. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           url_path((v.hit).url) AS page, (v.hit).ref_type, (v.hit).ref_name,
           (v.hit).campaign_name, (v.hit).campaign_source, (v.hit).campaign_medium,
           (v.hit).browser, (v.hit).os, (v.hit).device,
           ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), period AS (
    SELECT * FROM hits WHERE day BETWEEN $2::date AND $3::date
), visits AS (
    -- cut at local midnight: one row per visit and day, only the day it started
    SELECT day, min(ref_type) FILTER (WHERE visit_start) AS ref_type,
           min(ref_name) FILTER (WHERE visit_start) AS ref_name,
           min(campaign_name) FILTER (WHERE visit_start) AS campaign_name,
           min(campaign_source) FILTER (WHERE visit_start) AS campaign_source,
           min(campaign_medium) FILTER (WHERE visit_start) AS campaign_medium,
           min(browser) FILTER (WHERE visit_start) AS browser,
           min(os) FILTER (WHERE visit_start) AS os,
           min(device) FILTER (WHERE visit_start) AS device,
           (array_agg(page ORDER BY ts, page) FILTER (WHERE action = 'pageview'))[1] AS entry_page,
           (array_agg(page ORDER BY ts DESC, page DESC) FILTER (WHERE action = 'pageview'))[1]
               AS exit_page,
           count(*) FILTER (WHERE is_action(action)) AS actions
    FROM period
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
)
, exited AS (
    SELECT exit_page AS page, count(*) AS exits FROM visits WHERE exit_page IS NOT NULL GROUP BY 1
), viewed AS (
    SELECT page, count(*) AS pageviews,
           sum(1) FILTER (WHERE first_view) AS unique_pageviews
    FROM (SELECT page, row_number() OVER (PARTITION BY session_id, visit_no, day, page) = 1
                 AS first_view
          FROM period WHERE action = 'pageview') p
    GROUP BY 1
)
SELECT x.page, x.exits::bigint AS exits, v.pageviews::bigint AS pageviews,
       round(100.0 * x.exits / nullif(v.unique_pageviews, 0), 1) AS exit_rate
FROM exited x JOIN viewed v USING (page)
ORDER BY exits DESC, page COLLATE "C" LIMIT $4;
