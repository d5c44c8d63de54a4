-- Address prefixes are not kept past raw retention at all, folded or not (P9).
WITH gone AS (
    DELETE FROM usage_agg_prefixes WHERE site_id = :site AND day = :day RETURNING 1
)
SELECT count(*) FROM gone;
