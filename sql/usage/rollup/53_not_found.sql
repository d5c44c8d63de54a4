-- Not found (404) by path and referring page.
INSERT INTO usage_agg_not_found AS a (site_id, day, path, referrer, requests)
SELECT site_id, day, path, referrer, count(*)
FROM u_rows
WHERE status = 404
GROUP BY site_id, day, path, referrer
ON CONFLICT (site_id, day, path, referrer) DO UPDATE SET requests = a.requests + excluded.requests;
