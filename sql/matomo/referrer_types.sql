-- Referrers.getReferrerType: visits by channel (direct, search, social, website, campaign)
-- over :first..:last. Grouped here, not from referrers.sql's rows: that report is cut at its
-- row limit by source, and a channel's total must hold all of its sources.
SELECT ref_type AS type, sum(visits)::bigint AS visits, sum(actions)::bigint AS actions,
       sum(bounces)::bigint AS bounces, sum(visit_seconds)::bigint AS visit_seconds
FROM agg_referrers
WHERE site_id = :site AND day BETWEEN :first AND :last
GROUP BY ref_type
HAVING sum(visits) > 0
ORDER BY visits DESC, ref_type COLLATE "C";
