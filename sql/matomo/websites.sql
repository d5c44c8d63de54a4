-- Referrers.getWebsites: visits from other websites (by host), most first, at most :limit.
-- Filtered before the limit: referrers.sql's limit counts every channel's rows.
SELECT ref_name AS website, sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       sum(bounces)::bigint AS bounces, sum(visit_seconds)::bigint AS visit_seconds
FROM agg_referrers
WHERE site_id = :site AND day BETWEEN :first AND :last AND ref_type = 'website'
GROUP BY ref_name
HAVING sum(visits) > 0
ORDER BY visits DESC, ref_name COLLATE "C"
LIMIT :limit;
