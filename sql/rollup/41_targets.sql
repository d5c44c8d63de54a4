-- Downloads and outlinks by target URL without query or fragment. $1 day, $2 threshold.
WITH counted AS (
    SELECT site_id, action AS kind, target, count(*) AS hits,
           count(DISTINCT (session_id, visit_no)) AS visits
    FROM rollup_hits WHERE action IN ('download', 'outlink') AND target IS NOT NULL
    GROUP BY site_id, action, target
)
INSERT INTO agg_targets AS a (site_id, day, kind, target, hits, visits)
SELECT site_id, $1::date, kind,
       CASE WHEN visits < $2 THEN '(others)' ELSE target END AS label,
       sum(hits), sum(visits)
FROM counted
GROUP BY site_id, kind, label
ON CONFLICT (site_id, day, kind, target) DO UPDATE SET
    hits = a.hits + excluded.hits, visits = a.visits + excluded.visits;
