-- Search terms are free text, the likeliest place for a name or an e-mail address: rare ones
-- into '(others)'.
WITH gone AS (
    DELETE FROM agg_site_search
    WHERE site_id = :site AND day = :day AND keyword <> '(others)'
      AND (visits < :min_count OR ctid NOT IN (
          SELECT ctid FROM agg_site_search
          WHERE site_id = :site AND day = :day
            AND keyword <> '(others)'
          ORDER BY visits DESC, ctid LIMIT :max_rows))
    RETURNING *
), folded AS (
    INSERT INTO agg_site_search AS a (site_id, day, keyword, searches, visits, no_results)
    SELECT :site, :day, '(others)', sum(searches), sum(visits), sum(no_results)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, keyword) DO UPDATE SET
        searches = a.searches + excluded.searches, visits = a.visits + excluded.visits,
        no_results = a.no_results + excluded.no_results
    RETURNING 1
)
SELECT count(*) FROM gone;
