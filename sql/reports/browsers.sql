-- browsers: visits per browser family, most visits first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- Families as ua-parser names them, "(unknown)" when none matched (or folded into
-- "(others)" at roll-up). Bots are dropped at write time and never appear here.
-- Counting rules and sources (raw hits, daily aggregates): platform_visits, in
-- sql/migrations/006_report_functions.sql.
SELECT value AS browser, visits, actions, round(100.0 * bounces / visits, 1) AS bounce_rate
FROM platform_visits($1, $2::date, $3::date, 'browser')
ORDER BY visits DESC, value COLLATE "C"
LIMIT $4;
