-- Reference: summary, from raw hits (see visit_hits.sql). $1 site, $2 first, $3 last day.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).url, ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), period AS (
    SELECT * FROM hits WHERE day BETWEEN $2::date AND $3::date
), visits AS (
    SELECT day, count(*) FILTER (WHERE is_action(action)) AS actions,
           extract(epoch FROM max(ts) - min(ts))::bigint AS seconds
    FROM period
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
), totals AS (
    SELECT count(*) AS visits, count(*) FILTER (WHERE actions <= 1) AS bounces,
           sum(seconds) AS seconds FROM visits
), hit_totals AS (
    SELECT count(*) FILTER (WHERE action = 'pageview') AS pageviews,
           count(DISTINCT (session_id, visit_no, day, url_path(url)))
               FILTER (WHERE action = 'pageview') AS unique_pageviews,
           count(*) FILTER (WHERE is_action(action)) AS actions
    FROM period
)
SELECT t.visits::bigint AS visits, h.pageviews::bigint AS pageviews,
       h.unique_pageviews::bigint AS unique_pageviews, h.actions::bigint AS actions,
       round(100.0 * t.bounces / nullif(t.visits, 0), 1) AS bounce_rate,
       round(t.seconds / nullif(t.visits, 0))::bigint AS avg_visit_duration,
       round(h.actions::numeric / nullif(t.visits, 0), 1) AS actions_per_visit
FROM totals t, hit_totals h;
