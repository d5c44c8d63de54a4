-- Rare referring pages into '(others)'.
WITH gone AS (
    DELETE FROM usage_agg_referrers
    WHERE site_id = :site AND day = :day AND requests < :min_count AND referrer <> '(others)'
    RETURNING *
), folded AS (
    INSERT INTO usage_agg_referrers AS a (site_id, day, referrer, requests)
    SELECT :site, :day, '(others)', sum(requests)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, referrer) DO UPDATE SET requests = a.requests + excluded.requests
    RETURNING 1
)
SELECT count(*) FROM gone;
