-- downloads: files downloaded (Matomo's `download`), per target URL, most first.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
--
-- URLs without query string or fragment; "(others)": targets seen in too few visits of a
-- rolled-up day. Rules and sources: target_hits, in sql/migrations/006_report_functions.sql.
SELECT url, hits AS downloads, visits
FROM target_hits($1, $2::date, $3::date, 'download')
ORDER BY downloads DESC, url COLLATE "C"
LIMIT $4;
