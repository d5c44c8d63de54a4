-- outlinks: links followed to other sites (Matomo's `link`), per target URL, most first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- URLs without query string or fragment; "(others)": targets seen in too few visits of a
-- rolled-up day. Rules and sources: target_hits, in sql/migrations/006_report_functions.sql.
SELECT url, hits AS clicks, visits
FROM target_hits($1, $2::date, $3::date, 'outlink')
ORDER BY clicks DESC, url COLLATE "C"
LIMIT $4;
