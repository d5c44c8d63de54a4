-- A rare combination of the five campaign parameters is folded whole into name '(others)':
-- keyword and content are free text.
WITH gone AS (
    DELETE FROM agg_campaigns
    WHERE site_id = :site AND day = :day
      AND (name, source, medium, keyword, content) <> ('(others)', '', '', '', '')
      AND (visits < :min_count OR ctid NOT IN (
          SELECT ctid FROM agg_campaigns
          WHERE site_id = :site AND day = :day
            AND (name, source, medium, keyword, content) <> ('(others)', '', '', '', '')
          ORDER BY visits DESC, ctid LIMIT :max_rows))
    RETURNING *
), folded AS (
    INSERT INTO agg_campaigns AS a (site_id, day, name, source, medium, keyword, content, visits,
                                    actions, pageviews, bounces, visit_seconds)
    SELECT :site, :day, '(others)', '', '', '', '', sum(visits), sum(actions), sum(pageviews),
           sum(bounces), sum(visit_seconds)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, name, source, medium, keyword, content) DO UPDATE SET
        visits = a.visits + excluded.visits, actions = a.actions + excluded.actions,
        pageviews = a.pageviews + excluded.pageviews, bounces = a.bounces + excluded.bounces,
        visit_seconds = a.visit_seconds + excluded.visit_seconds
    RETURNING 1
)
SELECT count(*) FROM gone;
