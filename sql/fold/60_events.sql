-- A rare (category, action, name) is folded whole into ('(others)', '(others)', ''): the
-- name is free text and may be personal.
WITH gone AS (
    DELETE FROM agg_events
    WHERE site_id = :site AND day = :day
      AND (category, action, name) <> ('(others)', '(others)', '')
      AND (visits < :min_count OR ctid NOT IN (
          SELECT ctid FROM agg_events
          WHERE site_id = :site AND day = :day
            AND (category, action, name) <> ('(others)', '(others)', '')
          ORDER BY visits DESC, ctid LIMIT :max_rows))
    RETURNING *
), folded AS (
    INSERT INTO agg_events AS a
        (site_id, day, category, action, name, events, visits, value_sum, value_count)
    SELECT :site, :day, '(others)', '(others)', '', sum(events), sum(visits), sum(value_sum),
           sum(value_count)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, category, action, name) DO UPDATE SET
        events = a.events + excluded.events, visits = a.visits + excluded.visits,
        value_sum = a.value_sum + excluded.value_sum,
        value_count = a.value_count + excluded.value_count
    RETURNING 1
)
SELECT count(*) FROM gone;
