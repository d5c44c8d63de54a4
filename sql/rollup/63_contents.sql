-- Content tracking by name, piece and target (the target without query string or fragment):
-- impressions, interactions, and the visits with either that day.
MERGE INTO agg_contents a
USING (
    SELECT site_id, day, name, piece, target, sum(impressions) AS impressions,
           sum(interactions) AS interactions, sum(visits) AS visits
    FROM (
        SELECT site_id, day, content_name AS name, content_piece AS piece,
               content_target AS target,
               sign * count(*) FILTER (WHERE action = 'content_impression') AS impressions,
               sign * count(*) FILTER (WHERE action = 'content_interaction') AS interactions,
               sign AS visits
        FROM r_vhits
        WHERE action IN ('content_impression', 'content_interaction')
          AND content_name IS NOT NULL
        GROUP BY sign, site_id, session_id, segment, day, content_name, content_piece,
                 content_target
    ) c
    GROUP BY site_id, day, name, piece, target
    HAVING sum(impressions) <> 0 OR sum(interactions) <> 0 OR sum(visits) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.name = d.name AND a.piece = d.piece
   AND a.target = d.target
WHEN MATCHED AND a.impressions + d.impressions = 0 AND a.interactions + d.interactions = 0
             AND a.visits + d.visits = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    impressions = a.impressions + d.impressions, interactions = a.interactions + d.interactions,
    visits = a.visits + d.visits
WHEN NOT MATCHED THEN INSERT (site_id, day, name, piece, target, impressions, interactions,
                              visits)
    VALUES (d.site_id, d.day, d.name, d.piece, d.target, d.impressions, d.interactions,
            d.visits);
