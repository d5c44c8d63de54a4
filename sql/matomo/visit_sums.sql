-- The sums behind VisitsSummary.get that the `summary` report gives only as rates and
-- averages: bounces and visit seconds of one site over :first..:last (local days).
-- Counted as in summary.sql (agg_site_hours: a visit in the hour it starts).
SELECT coalesce(sum(bounces), 0)::bigint AS bounces,
       coalesce(sum(visit_seconds), 0)::bigint AS visit_seconds
FROM agg_site_hours
WHERE site_id = :site AND day BETWEEN :first AND :last;
