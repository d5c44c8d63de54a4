-- Truncated prefixes: requests, client errors (4xx), server errors (5xx). Deleted with the
-- day's raw rows, never kept past retention (sql/usage/fold/60_prefixes.sql).
INSERT INTO usage_agg_prefixes AS a (site_id, day, prefix, requests, client_errors,
                                     server_errors)
SELECT site_id, day, ip_prefix, count(*), count(*) FILTER (WHERE status >= 400 AND status < 500),
       count(*) FILTER (WHERE status >= 500)
FROM u_rows
WHERE ip_prefix IS NOT NULL
GROUP BY site_id, day, ip_prefix
ON CONFLICT (site_id, day, prefix) DO UPDATE SET
    requests = a.requests + excluded.requests,
    client_errors = a.client_errors + excluded.client_errors,
    server_errors = a.server_errors + excluded.server_errors;
