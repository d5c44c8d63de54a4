-- A rare content (name, piece, target) is folded whole into ('(others)', '', '').
WITH gone AS (
    DELETE FROM agg_contents
    WHERE site_id = :site AND day = :day AND visits < :min_count
      AND NOT (name = '(others)' AND piece = '' AND target = '')
    RETURNING *
), folded AS (
    INSERT INTO agg_contents AS a (site_id, day, name, piece, target, impressions,
                                   interactions, visits)
    SELECT :site, :day, '(others)', '', '', sum(impressions), sum(interactions), sum(visits)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, name, piece, target) DO UPDATE SET
        impressions = a.impressions + excluded.impressions,
        interactions = a.interactions + excluded.interactions,
        visits = a.visits + excluded.visits
    RETURNING 1
)
SELECT count(*) FROM gone;
