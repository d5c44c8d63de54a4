-- referrers: visits per referrer type and name over a period.
-- $1 site id, $2 first day, $3 last day (inclusive; UTC days), $4 row limit.
-- A visit's referrer is that of the hit that started it. Rolled-up days from agg_referrers,
-- the others from raw hits (docs/aggregates.md); '(others)' holds names folded at roll-up.
SELECT ref_type, ref_name, sum(visits)::bigint AS visits
FROM (
    SELECT coalesce((hit).ref_type, 'direct') AS ref_type, (hit).ref_name AS ref_name,
           count(*) AS visits
    FROM visit_hits($1, $2::date, $3::date + 1)
    WHERE visit_start
    GROUP BY 1, 2
    UNION ALL
    SELECT ref_type, ref_name, visits
    FROM agg_referrers
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
) AS days
GROUP BY ref_type, ref_name
ORDER BY visits DESC, ref_type, ref_name NULLS FIRST
LIMIT $4;
