-- Reference: daily-totals, from raw hits (see visit_hits.sql). $1 site, $2 first, $3 last day.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.visit_start, (v.hit).ts, (v.hit).action,
           ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), visits AS (
    SELECT day, count(*) FILTER (WHERE is_action(action)) AS actions,
           extract(epoch FROM max(ts) - min(ts))::bigint AS seconds
    FROM hits
    GROUP BY session_id, visit_no, day
    HAVING bool_or(visit_start)
), visit_days AS (
    SELECT day, count(*) AS visits, count(*) FILTER (WHERE actions <= 1) AS bounces,
           sum(seconds) AS seconds
    FROM visits GROUP BY day
), hit_days AS (
    SELECT day, count(*) FILTER (WHERE action = 'pageview') AS pageviews,
           count(*) FILTER (WHERE is_action(action)) AS actions
    FROM hits GROUP BY day
)
SELECT d.day::date AS day, coalesce(v.visits, 0)::bigint AS visits,
       coalesce(h.pageviews, 0)::bigint AS pageviews, coalesce(h.actions, 0)::bigint AS actions,
       coalesce(v.bounces, 0)::bigint AS bounces, coalesce(v.seconds, 0)::bigint AS visit_seconds
FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d (day)
LEFT JOIN visit_days v ON v.day = d.day::date
LEFT JOIN hit_days h ON h.day = d.day::date
ORDER BY d.day;
