-- Requests and bytes per status code.
INSERT INTO usage_agg_status AS a (site_id, day, status, requests, bytes)
SELECT site_id, day, status, count(*), sum(bytes)
FROM u_rows
GROUP BY site_id, day, status
ON CONFLICT (site_id, day, status) DO UPDATE SET
    requests = a.requests + excluded.requests, bytes = a.bytes + excluded.bytes;
