-- A rare browser or OS into '(others)'; device types are a fixed vocabulary and never are,
-- nor is "not recognised" ('').
WITH gone AS (
    DELETE FROM agg_platforms
    WHERE site_id = :site AND day = :day AND attribute <> 'device' AND value NOT IN ('', '(others)')
      AND (visits < :min_count OR ctid NOT IN (
          SELECT ctid FROM agg_platforms
          WHERE site_id = :site AND day = :day
            AND attribute <> 'device' AND value NOT IN ('', '(others)')
          ORDER BY visits DESC, ctid LIMIT :max_rows))
    RETURNING *
), folded AS (
    INSERT INTO agg_platforms AS a
        (site_id, day, attribute, value, visits, actions, pageviews, bounces, visit_seconds)
    SELECT :site, :day, attribute, '(others)', sum(visits), sum(actions), sum(pageviews),
           sum(bounces), sum(visit_seconds)
    FROM gone GROUP BY attribute
    ON CONFLICT (site_id, day, attribute, value) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
        pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
        visit_seconds = a.visit_seconds + excluded.visit_seconds
    RETURNING 1
)
SELECT count(*) FROM gone;
