-- Live: what happened on one site (:site) in [:since, :until), from raw hits (the open tail:
-- the aggregates lag by up to a minute). Counts only; no session id leaves this query.
-- The hourly partitions of the last half hour are the only ones read.
SELECT count(DISTINCT session_id) AS visitors,
       count(*) FILTER (WHERE action = 'pageview') AS pageviews,
       count(*) FILTER (WHERE action <> 'ping') AS actions
FROM hits
WHERE site_id = :site AND ts >= :since AND ts < :until;
