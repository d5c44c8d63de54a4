-- Referring pages, of the requests that name one.
INSERT INTO usage_agg_referrers AS a (site_id, day, referrer, requests)
SELECT site_id, day, referrer, count(*)
FROM u_rows
WHERE referrer <> ''
GROUP BY site_id, day, referrer
ON CONFLICT (site_id, day, referrer) DO UPDATE SET requests = a.requests + excluded.requests;
