-- Content delivered (status below 400) by path: requests and bytes.
INSERT INTO usage_agg_content AS a (site_id, day, path, requests, bytes)
SELECT site_id, day, path, count(*), sum(bytes)
FROM u_rows
WHERE status < 400
GROUP BY site_id, day, path
ON CONFLICT (site_id, day, path) DO UPDATE SET
    requests = a.requests + excluded.requests, bytes = a.bytes + excluded.bytes;
