-- Reference: search-engines. $1 site, $2 first, $3 last day, $4 limit.
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
SELECT ref_name AS search_engine, count(*)::bigint AS visits, sum(actions)::bigint AS actions,
       round(100.0 * count(*) FILTER (WHERE actions <= 1) / count(*), 1) AS bounce_rate
FROM visits WHERE ref_type = 'search' GROUP BY 1
ORDER BY visits DESC, ref_name COLLATE "C" LIMIT $4;
