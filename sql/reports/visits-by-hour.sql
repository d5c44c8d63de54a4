-- visits-by-hour: visits, pageviews and actions per local hour, every hour of the period
-- (zero when nothing happened). For short periods: a day's chart. No row limit.
-- $1 site id, $2 first day, $3 last day (inclusive; local days).
--
-- Counted as in `summary`: a visit in the hour it starts; pings are not actions. Hours are
-- the site's current zone's: a day has 23 or 25 of them when clocks change, and the label
-- carries the UTC offset, so the repeated hour of an autumn night reads twice, apart. Days
-- counted before migration 007 (UTC days, hours unknown) read as zero here.
WITH zone AS (
    SELECT timezone FROM site_zones WHERE site_id = $1 AND until = 'infinity'
), hours AS (
    SELECT h.hour, z.timezone
    FROM zone z,
         generate_series($2::date::timestamp AT TIME ZONE z.timezone,
                         ($3::date + 1)::timestamp AT TIME ZONE z.timezone - interval '1 hour',
                         interval '1 hour') AS h (hour)
)
SELECT local_iso(h.hour, h.timezone) AS hour, coalesce(a.visits, 0)::bigint AS visits,
       coalesce(a.pageviews, 0)::bigint AS pageviews, coalesce(a.actions, 0)::bigint AS actions
FROM hours h
LEFT JOIN agg_site_hours a ON a.site_id = $1 AND a.hour = h.hour
                          AND a.day BETWEEN $2::date AND $3::date
ORDER BY h.hour;
