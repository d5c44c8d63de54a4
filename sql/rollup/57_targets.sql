-- Downloads and outlinks by target URL without query string, fragment or user:password@.
MERGE INTO agg_targets a
USING (
    SELECT site_id, day, kind, target, sum(hits) AS hits, sum(visits) AS visits
    FROM (
        SELECT site_id, day, action AS kind, target, sign * count(*) AS hits, sign AS visits
        FROM r_vhits
        WHERE action IN ('download', 'outlink') AND target IS NOT NULL
        GROUP BY sign, site_id, session_id, segment, day, action, target
    ) c
    GROUP BY site_id, day, kind, target
    HAVING sum(hits) <> 0 OR sum(visits) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.kind = d.kind AND a.target = d.target
WHEN MATCHED AND a.hits + d.hits = 0 AND a.visits + d.visits = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET hits = a.hits + d.hits, visits = a.visits + d.visits
WHEN NOT MATCHED THEN INSERT (site_id, day, kind, target, hits, visits)
    VALUES (d.site_id, d.day, d.kind, d.target, d.hits, d.visits);
