-- Rare titles into '(others)'; pageviews without a title ('') are kept as such.
WITH gone AS (
    DELETE FROM agg_titles
    WHERE site_id = :site AND day = :day AND title NOT IN ('', '(others)')
      AND (visits < :min_count OR ctid NOT IN (
          SELECT ctid FROM agg_titles
          WHERE site_id = :site AND day = :day
            AND title NOT IN ('', '(others)')
          ORDER BY visits DESC, ctid LIMIT :max_rows))
    RETURNING *
), folded AS (
    INSERT INTO agg_titles AS a (site_id, day, title, pageviews, visits)
    SELECT :site, :day, '(others)', sum(pageviews), sum(visits)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, title) DO UPDATE SET
        pageviews = a.pageviews + excluded.pageviews, visits = a.visits + excluded.visits
    RETURNING 1
)
SELECT count(*) FROM gone;
