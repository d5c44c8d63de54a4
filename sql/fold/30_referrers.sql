-- Rare referrer names (a website's host, a search engine) into '(others)' of their type. The
-- type is a fixed vocabulary and never folded; nor is direct ('').
WITH gone AS (
    DELETE FROM agg_referrers
    WHERE site_id = :site AND day = :day AND ref_name NOT IN ('', '(others)')
      AND (visits < :min_count OR ctid NOT IN (
          SELECT ctid FROM agg_referrers
          WHERE site_id = :site AND day = :day
            AND ref_name NOT IN ('', '(others)')
          ORDER BY visits DESC, ctid LIMIT :max_rows))
    RETURNING *
), folded AS (
    INSERT INTO agg_referrers AS a
        (site_id, day, ref_type, ref_name, visits, actions, pageviews, bounces, visit_seconds)
    SELECT :site, :day, ref_type, '(others)', sum(visits), sum(actions), sum(pageviews),
           sum(bounces), sum(visit_seconds)
    FROM gone GROUP BY ref_type
    ON CONFLICT (site_id, day, ref_type, ref_name) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
        pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
        visit_seconds = a.visit_seconds + excluded.visit_seconds
    RETURNING 1
)
SELECT count(*) FROM gone;
