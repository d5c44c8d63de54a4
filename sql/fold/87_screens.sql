-- A rare resolution into '(others)' of its width class; the classes are a fixed vocabulary
-- and never folded, nor is "none" ('').
WITH gone AS (
    DELETE FROM agg_screens
    WHERE site_id = :site AND day = :day AND visits < :min_count
      AND resolution NOT IN ('', '(others)')
    RETURNING *
), folded AS (
    INSERT INTO agg_screens AS a
        (site_id, day, width_class, resolution, visits, actions, pageviews, bounces,
         visit_seconds)
    SELECT :site, :day, width_class, '(others)', sum(visits), sum(actions), sum(pageviews),
           sum(bounces), sum(visit_seconds)
    FROM gone GROUP BY width_class
    ON CONFLICT (site_id, day, width_class, resolution) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
        pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
        visit_seconds = a.visit_seconds + excluded.visit_seconds
    RETURNING 1
)
SELECT count(*) FROM gone;
