-- COLLECTOR_USAGE_AGGREGATES=false: at expiry nothing of the day is kept, not even totals.
WITH h AS (DELETE FROM usage_agg_hours WHERE site_id = :site AND day = :day RETURNING 1),
     s AS (DELETE FROM usage_agg_status WHERE site_id = :site AND day = :day RETURNING 1),
     c AS (DELETE FROM usage_agg_content WHERE site_id = :site AND day = :day RETURNING 1),
     n AS (DELETE FROM usage_agg_not_found WHERE site_id = :site AND day = :day RETURNING 1),
     r AS (DELETE FROM usage_agg_referrers WHERE site_id = :site AND day = :day RETURNING 1),
     a AS (DELETE FROM usage_agg_agents WHERE site_id = :site AND day = :day RETURNING 1),
     p AS (DELETE FROM usage_agg_prefixes WHERE site_id = :site AND day = :day RETURNING 1)
SELECT (SELECT count(*) FROM h) + (SELECT count(*) FROM s) + (SELECT count(*) FROM c)
     + (SELECT count(*) FROM n) + (SELECT count(*) FROM r) + (SELECT count(*) FROM a)
     + (SELECT count(*) FROM p);
