-- Goal conversions by a rare channel source, campaign or entry page into '(others)'. Totals
-- per goal, channel types and "none" ('') are never folded.
WITH gone AS (
    DELETE FROM agg_goals
    WHERE site_id = :site AND day = :day AND visits < :min_count AND attribute <> 'total'
      AND CASE attribute WHEN 'channel' THEN detail NOT IN ('', '(others)')
                         ELSE label NOT IN ('', '(others)') END
    RETURNING *
), folded AS (
    INSERT INTO agg_goals AS a (site_id, day, goal_id, attribute, label, detail, conversions,
                                visits, revenue)
    SELECT :site, :day, goal_id, attribute,
           CASE attribute WHEN 'channel' THEN label ELSE '(others)' END,
           CASE attribute WHEN 'channel' THEN '(others)' ELSE '' END,
           sum(conversions), sum(visits), sum(revenue)
    FROM gone
    GROUP BY goal_id, attribute, CASE attribute WHEN 'channel' THEN label ELSE '(others)' END
    ON CONFLICT (site_id, day, goal_id, attribute, label, detail) DO UPDATE SET
        conversions = a.conversions + excluded.conversions, visits = a.visits + excluded.visits,
        revenue = a.revenue + excluded.revenue
    RETURNING 1
)
SELECT count(*) FROM gone;
