-- At expiry (the day's raw rows are all gone): paths requested fewer than :min_count times
-- that day become '(others)', their measures summed into it, so that no row kept past
-- retention describes a single request. Every fold step has this shape; the steps of one
-- day run in one transaction, and folding a day twice changes nothing.
WITH gone AS (
    DELETE FROM usage_agg_content
    WHERE site_id = :site AND day = :day AND requests < :min_count AND path <> '(others)'
    RETURNING *
), folded AS (
    INSERT INTO usage_agg_content AS a (site_id, day, path, requests, bytes)
    SELECT :site, :day, '(others)', sum(requests), sum(bytes)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, path) DO UPDATE SET
        requests = a.requests + excluded.requests, bytes = a.bytes + excluded.bytes
    RETURNING 1
)
SELECT count(*) FROM gone;
