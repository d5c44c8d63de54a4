-- Reference: visits-by-hour, in the site's current zone. $1 site, $2 first, $3 last day.
WITH zone AS (
    SELECT timezone FROM site_zones WHERE site_id = $1 AND until = 'infinity'
), hits AS (
    SELECT v.visit_start, (v.hit).action, date_trunc('hour', (v.hit).ts, v.tz) AS hour
    FROM pg_temp.visit_hits($1) v
), per_hour AS (
    SELECT hour, count(*) FILTER (WHERE visit_start) AS visits,
           count(*) FILTER (WHERE action = 'pageview') AS pageviews,
           count(*) FILTER (WHERE is_action(action)) AS actions
    FROM hits GROUP BY 1
)
SELECT local_iso(h.hour, z.timezone) AS hour, coalesce(p.visits, 0)::bigint AS visits,
       coalesce(p.pageviews, 0)::bigint AS pageviews, coalesce(p.actions, 0)::bigint AS actions
FROM zone z
CROSS JOIN generate_series($2::date::timestamp AT TIME ZONE z.timezone,
                           ($3::date + 1)::timestamp AT TIME ZONE z.timezone - interval '1 hour',
                           interval '1 hour') AS h (hour)
LEFT JOIN per_hour p ON p.hour = h.hour
ORDER BY h.hour;
