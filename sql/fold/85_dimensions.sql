-- Rare values of each custom dimension into '(others)' of that dimension: values are the
-- site's own, and may be as personal as the README warns against.
WITH gone AS (
    DELETE FROM agg_dimensions
    WHERE site_id = :site AND day = :day AND visits < :min_count AND value <> '(others)'
    RETURNING *
), folded AS (
    INSERT INTO agg_dimensions AS a (site_id, day, dimension_id, value, visits, actions)
    SELECT :site, :day, dimension_id, '(others)', sum(visits), sum(actions)
    FROM gone GROUP BY dimension_id
    ON CONFLICT (site_id, day, dimension_id, value) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions
    RETURNING 1
)
SELECT count(*) FROM gone;
