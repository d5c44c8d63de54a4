-- usage-status: requests and bytes per HTTP status, with its class ("Inhalt übertragen",
-- "Inhalt nicht gefunden": 2xx, 4xx …) and share of all requests (%), by status code.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
SELECT (status / 100)::text || 'xx' AS class, status, sum(requests)::bigint AS requests,
       sum(bytes)::bigint AS bytes,
       round(100.0 * sum(requests) / sum(sum(requests)) OVER (), 1) AS share
FROM usage_agg_status
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY status
HAVING sum(requests) > 0
ORDER BY status
LIMIT $4;
