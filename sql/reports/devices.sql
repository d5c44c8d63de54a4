-- devices: visits per device type (desktop, mobile, tablet), most visits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Device types are decided at write time from the user agent (collector/tracking/enrich.py);
-- a fixed vocabulary, never folded at roll-up. Counting rules and sources (raw hits, daily
-- aggregates): platform_visits, in sql/migrations/006_report_functions.sql.
SELECT value AS device, visits, actions, round(100.0 * bounces / visits, 1) AS bounce_rate
FROM platform_visits($1, $2::date, $3::date, 'device')
ORDER BY visits DESC, value COLLATE "C"
LIMIT $4;
