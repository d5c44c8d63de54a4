-- Rare download and outlink targets into '(others)' of their kind.
WITH gone AS (
    DELETE FROM agg_targets
    WHERE site_id = :site AND day = :day AND target <> '(others)'
      AND (visits < :min_count OR ctid NOT IN (
          SELECT ctid FROM agg_targets
          WHERE site_id = :site AND day = :day
            AND target <> '(others)'
          ORDER BY visits DESC, ctid LIMIT :max_rows))
    RETURNING *
), folded AS (
    INSERT INTO agg_targets AS a (site_id, day, kind, target, hits, visits)
    SELECT :site, :day, kind, '(others)', sum(hits), sum(visits)
    FROM gone GROUP BY kind
    ON CONFLICT (site_id, day, kind, target) DO UPDATE SET
        hits = a.hits + excluded.hits, visits = a.visits + excluded.visits
    RETURNING 1
)
SELECT count(*) FROM gone;
