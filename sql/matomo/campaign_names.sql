-- Referrers.getCampaigns: visits by campaign name (Matomo's label), most first, at most
-- :limit. campaigns.sql splits a name by source and medium; Matomo's rows are names.
SELECT name AS campaign, sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       sum(bounces)::bigint AS bounces, sum(visit_seconds)::bigint AS visit_seconds
FROM agg_campaigns
WHERE site_id = :site AND day BETWEEN :first AND :last
GROUP BY name
HAVING sum(visits) > 0
ORDER BY visits DESC, name COLLATE "C"
LIMIT :limit;
