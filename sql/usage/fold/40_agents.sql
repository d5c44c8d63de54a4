-- Rare browser, OS and bot names into '(others)', per attribute. '' (not recognised) stays.
WITH gone AS (
    DELETE FROM usage_agg_agents
    WHERE site_id = :site AND day = :day AND requests < :min_count
      AND value NOT IN ('', '(others)')
    RETURNING *
), folded AS (
    INSERT INTO usage_agg_agents AS a (site_id, day, attribute, value, requests)
    SELECT :site, :day, attribute, '(others)', sum(requests)
    FROM gone GROUP BY attribute
    ON CONFLICT (site_id, day, attribute, value) DO UPDATE SET
        requests = a.requests + excluded.requests
    RETURNING 1
)
SELECT count(*) FROM gone;
