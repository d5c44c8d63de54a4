-- Rare titles into '(others)'; pageviews without a title ('') are kept as such.
WITH gone AS (
    DELETE FROM agg_titles
    WHERE site_id = :site AND day = :day AND visits < :min_count
      AND title NOT IN ('', '(others)')
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
