-- Totals per local hour: requests, bytes, bot requests, requests per status class. Every
-- aggregate step has this shape: the new rows' sums per key, added to the row of the key.
INSERT INTO usage_agg_hours AS a (site_id, day, hour, requests, bytes, bot_requests,
                                  status_1xx, status_2xx, status_3xx, status_4xx, status_5xx)
SELECT site_id, day, hour, count(*), sum(bytes), count(*) FILTER (WHERE bot),
       count(*) FILTER (WHERE status < 200),
       count(*) FILTER (WHERE status >= 200 AND status < 300),
       count(*) FILTER (WHERE status >= 300 AND status < 400),
       count(*) FILTER (WHERE status >= 400 AND status < 500),
       count(*) FILTER (WHERE status >= 500)
FROM u_rows
GROUP BY site_id, day, hour
ON CONFLICT (site_id, day, hour) DO UPDATE SET
    requests = a.requests + excluded.requests, bytes = a.bytes + excluded.bytes,
    bot_requests = a.bot_requests + excluded.bot_requests,
    status_1xx = a.status_1xx + excluded.status_1xx,
    status_2xx = a.status_2xx + excluded.status_2xx,
    status_3xx = a.status_3xx + excluded.status_3xx,
    status_4xx = a.status_4xx + excluded.status_4xx,
    status_5xx = a.status_5xx + excluded.status_5xx;
