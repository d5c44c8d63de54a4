-- visits-by-hour: visits, pageviews and actions per UTC hour, every hour of the period
-- (zero when nothing happened). For short periods: a day's chart. No row limit.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days).
--
-- Counted as in `summary`: a visit in the hour it starts; pings are not actions.
-- Raw hits only, the one report that does not read the aggregates: what is kept after
-- raw retention is per day (docs/aggregates.md), so hours of rolled-up days read as zero;
-- visits-over-time still has those days' totals.
WITH hits AS (
    SELECT v.visit_start, (v.hit).ts, (v.hit).action
    FROM visit_hits($1, $2::date::timestamp AT TIME ZONE 'UTC',
                    ($3::date + 1)::timestamp AT TIME ZONE 'UTC') v
), per_hour AS (
    SELECT date_trunc('hour', ts AT TIME ZONE 'UTC') AS hour,
           count(*) FILTER (WHERE visit_start) AS visits,
           count(*) FILTER (WHERE action = 'pageview') AS pageviews,
           count(*) FILTER (WHERE action <> 'ping') AS actions
    FROM hits
    GROUP BY 1
)
SELECT to_char(h.hour, 'YYYY-MM-DD"T"HH24:00"Z"') AS hour,
       coalesce(p.visits, 0)::bigint AS visits, coalesce(p.pageviews, 0)::bigint AS pageviews,
       coalesce(p.actions, 0)::bigint AS actions
FROM generate_series($2::date::timestamp, $3::date + interval '23 hours', interval '1 hour')
     AS h (hour)
LEFT JOIN per_hour p ON p.hour = h.hour
ORDER BY h.hour;
