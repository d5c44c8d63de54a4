-- Rare (path, referrer) pairs of not-found requests: first the referrer goes ('(others)'),
-- so that a path many broken links lead to stays visible; then rare paths.
WITH gone AS (
    DELETE FROM usage_agg_not_found
    WHERE site_id = :site AND day = :day AND requests < :min_count AND referrer <> '(others)'
    RETURNING *
), folded AS (
    INSERT INTO usage_agg_not_found AS a (site_id, day, path, referrer, requests)
    SELECT :site, :day, path, '(others)', sum(requests)
    FROM gone GROUP BY path
    ON CONFLICT (site_id, day, path, referrer) DO UPDATE SET
        requests = a.requests + excluded.requests
    RETURNING 1
)
SELECT count(*) FROM gone;
