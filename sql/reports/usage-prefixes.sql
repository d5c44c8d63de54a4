-- usage-prefixes: for security purposes ("Sicherheitszwecke"), the truncated address
-- prefixes (COLLECTOR_IP_MASK_LEVEL: a /16 or /48 by default, never an address) whose
-- requests were answered with most client (4xx) and server (5xx) errors: scanners, broken
-- clients, attacks. Only days within raw retention: prefixes are deleted with the raw rows.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
SELECT host(prefix) AS prefix, sum(requests)::bigint AS requests,
       sum(client_errors)::bigint AS client_errors, sum(server_errors)::bigint AS server_errors
FROM usage_agg_prefixes
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY prefix
HAVING sum(client_errors) + sum(server_errors) > 0
ORDER BY sum(client_errors) + sum(server_errors) DESC, requests DESC, host(prefix) COLLATE "C"
LIMIT $4;
