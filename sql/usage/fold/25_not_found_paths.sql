-- Then paths of fewer than :min_count not-found requests in all that day, into '(others)'.
WITH rare AS (
    SELECT path FROM usage_agg_not_found
    WHERE site_id = :site AND day = :day AND path <> '(others)'
    GROUP BY path HAVING sum(requests) < :min_count
), gone AS (
    DELETE FROM usage_agg_not_found n USING rare r
    WHERE n.site_id = :site AND n.day = :day AND n.path = r.path
    RETURNING n.*
), folded AS (
    INSERT INTO usage_agg_not_found AS a (site_id, day, path, referrer, requests)
    SELECT :site, :day, '(others)', '(others)', sum(requests)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, path, referrer) DO UPDATE SET
        requests = a.requests + excluded.requests
    RETURNING 1
)
SELECT count(*) FROM gone;
